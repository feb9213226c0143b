//! The `konecty:session` world as Rust types (wasmtime's bindgen) and the component built
//! from guest/, embedded in this binary.

wasmtime::component::bindgen!({ world: "session", path: "../wit" });

pub use konecty::session::types::{
    Channel, ClientLabel, CodeRequest, CredentialFile, Error as ApiError, Geolocation, Identifier,
    LoginMethods, LogoutOutcome, OtpSent, Rejection, RejectionReason, SaveTargets, ServerReply,
    Session as ApiSession, SessionCheck, StoredSession,
};

include!(concat!(env!("OUT_DIR"), "/guest_component.rs"));

#[cfg(test)]
mod tests {
    use super::{GUEST_COMPONENT, GUEST_COMPONENT_SHA256};
    use sha2::{Digest, Sha256};

    #[test]
    fn the_embedded_digest_is_the_components() {
        assert_eq!(
            GUEST_COMPONENT_SHA256,
            <[u8; 32]>::from(Sha256::digest(GUEST_COMPONENT)),
            "build.rs wrote another component's SHA-256"
        );
    }

    #[test]
    fn the_embedded_component_is_at_most_260_kb() {
        let size = GUEST_COMPONENT.len();
        println!("embedded component: {size} bytes");
        assert!(
            size <= 260_000,
            "the component is {size} bytes, over 260 KB (issue 15 item 5: JSON with serde in \
             the guest if the component stays under 260 KB)"
        );
        assert!(GUEST_COMPONENT.starts_with(b"\0asm"), "not a wasm binary");
    }
}
