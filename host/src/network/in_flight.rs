//! The bookkeeping of requests in flight: their place among the few allowed at once, and
//! what each needs to report itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::audit::Observer;
use crate::network::incident::{Incident, Incidents};
use crate::network::limits::MAX_IN_FLIGHT;

/// What a request in flight needs to report itself.
pub struct Watch {
    pub observer: Arc<Observer>,
    pub incidents: Incidents,
    pub method: String,
    pub origin: String,
    pub path: String,
    /// The proxy the request went through, without credentials.
    pub via: Option<String>,
    /// The request's place among those in flight, freed when the watch and the connection
    /// that carries the request are both gone.
    pub slot: Option<Arc<InFlight>>,
}

/// One request in flight: counted while it lives.
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// A place, unless `MAX_IN_FLIGHT` are taken.
    pub(crate) fn take(count: &Arc<AtomicUsize>) -> Option<InFlight> {
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_IN_FLIGHT).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(Arc::clone(count)))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Watch {
    pub fn incident(&self, incident: Incident) {
        self.incidents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(incident);
    }
}
