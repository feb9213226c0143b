//! End-to-end tests: the real `konecty-session` binary, the real component, and a fake
//! Konecty on 127.0.0.1:0 (the library's dev server, or a canned-response server for faults).

mod audit;
mod behaviours;
mod cli;
mod concurrency;
mod external;
mod faults;
mod files;
mod flow;
mod hardening;
mod hosts;
mod inputs;
mod json;
mod layers;
mod login;
mod mcp;
mod netfakes;
mod networks;
mod newcomer;
mod node;
mod npm;
mod pinning;
mod readers;
mod readme;
mod sandbox;
mod skill;
mod support;
mod two_step;
mod windows;
