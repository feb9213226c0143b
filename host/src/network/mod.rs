//! Outbound HTTP of a sandbox: which origin it may reach ([`policy`], [`origin`]), how a
//! request is sent there ([`transport`]: addresses, proxies, trust), within [`limits`], and
//! what was refused ([`incident`]).

pub mod addresses;
pub mod in_flight;
pub mod incident;
pub mod limits;
pub mod origin;
pub mod policy;
pub mod proxy;
pub mod settings;
pub mod transport;
pub mod trust;
