//! How the host reaches the one origin it granted: names pinned with `--resolve`, the proxy
//! rules, the trusted certificate authorities, and whether a name may lead to a private
//! network. Data only; `transport` acts on it.

use std::net::IpAddr;
use std::sync::Arc;

use crate::network::proxy::ProxyRules;
use crate::network::trust::Trust;

/// Names pinned to addresses by `--resolve`, lower-cased.
pub type Overrides = Arc<[(String, IpAddr)]>;

/// The network side of a grant. The default: DNS, no proxy, the system's trust, public
/// addresses only.
#[derive(Clone, Default)]
pub struct Network {
    pub overrides: Overrides,
    pub proxy: Arc<ProxyRules>,
    pub trust: Trust,
    /// Let a host name lead to loopback, private, shared, link-local and unique-local
    /// addresses (self-hosted Konecty); metadata addresses stay refused.
    pub private_network: bool,
}
