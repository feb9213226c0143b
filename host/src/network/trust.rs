//! Which certificate authorities TLS to the Konecty origin trusts. By default the system's,
//! as curl and Python do: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (those and nothing
//! else, as rustls-native-certs reads them; OpenSSL would keep its default directory when
//! only the file is set), else the operating system's store (the system bundle on Linux
//! and other Unix, read by rustls-native-certs; the platform verifier on macOS and
//! Windows), and Mozilla's roots (webpki-roots) only where the system has none, as in a
//! minimal container. `--cacert FILE` trusts the certificates in FILE and nothing else.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The trust anchors of one run.
#[derive(Clone, Default)]
pub struct Trust {
    only: Option<Arc<ClientConfig>>,
}

/// Trust that could not be set up: a CA file without certificates, an unreadable one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustError {
    /// `--cacert FILE`, `SSL_CERT_FILE`, …
    pub source: String,
    pub problem: String,
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.problem)
    }
}

impl std::error::Error for TrustError {}

impl Trust {
    /// The system's trust (see the module's documentation).
    pub fn system() -> Trust {
        Trust::default()
    }

    /// Only the PEM certificates in `path` (`--cacert`); at least one must be there.
    pub fn only_file(path: &Path) -> Result<Trust, TrustError> {
        let source = format!("--cacert {}", path.display());
        let error = |problem: String| TrustError {
            source: source.clone(),
            problem,
        };
        let pem = std::fs::read(path).map_err(|e| error(format!("cannot read it ({e})")))?;
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
            .filter_map(Result::ok)
            .collect();
        let mut roots = rustls::RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(certificates);
        if added == 0 {
            return Err(error(
                "no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        Ok(Trust {
            only: Some(with_roots(roots)),
        })
    }

    /// The TLS client configuration: built once per process for the system's trust.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TrustError> {
        if let Some(only) = &self.only {
            return Ok(Arc::clone(only));
        }
        static SYSTEM: OnceLock<Result<Arc<ClientConfig>, TrustError>> = OnceLock::new();
        SYSTEM.get_or_init(system_config).clone()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // Named explicitly: no process-wide default to race for.
    Arc::new(rustls::crypto::ring::default_provider())
}

fn with_roots(roots: rustls::RootCertStore) -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Whether `SSL_CERT_FILE` or `SSL_CERT_DIR` is set, even empty: rustls-native-certs then
/// reads only them, and an empty one yields nothing, which is an error, not a fallback.
fn openssl_variables_set() -> bool {
    ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|name| std::env::var_os(name).is_some())
}

fn system_config() -> Result<Arc<ClientConfig>, TrustError> {
    #[cfg(any(target_os = "macos", target_os = "windows"))]
    if !openssl_variables_set() {
        use rustls_platform_verifier::Verifier;
        let verifier = Verifier::new(provider()).map_err(|e| TrustError {
            source: "the system's certificate verifier".into(),
            problem: e.to_string(),
        })?;
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        return Ok(Arc::new(config));
    }
    Ok(with_roots(system_roots(
        rustls_native_certs::load_native_certs().certs,
        openssl_variables_set(),
    )?))
}

/// The system's roots; Mozilla's when the system store is empty. Variables that name no
/// usable certificate are an error, not a reason to trust something else.
fn system_roots(
    found: Vec<CertificateDer<'static>>,
    from_variables: bool,
) -> Result<rustls::RootCertStore, TrustError> {
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found);
    if added > 0 {
        return Ok(roots);
    }
    if from_variables {
        return Err(TrustError {
            source: "SSL_CERT_FILE / SSL_CERT_DIR".into(),
            problem: "no certificate could be read from them".into(),
        });
    }
    Ok(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    })
}

/// Why a certificate was refused, in words, when the TLS error is about the certificate.
pub fn untrusted_reason(error: &std::io::Error) -> Option<String> {
    use rustls::CertificateError::*;
    let tls = error.get_ref()?.downcast_ref::<rustls::Error>()?;
    let rustls::Error::InvalidCertificate(problem) = tls else {
        return None;
    };
    Some(match problem {
        UnknownIssuer => "issued by an authority this machine does not trust".into(),
        NotValidForName | NotValidForNameContext { .. } => "not issued for this name".into(),
        Expired | ExpiredContext { .. } => "expired".into(),
        NotValidYet | NotValidYetContext { .. } => "not valid yet".into(),
        Revoked => "revoked".into(),
        BadSignature => "badly signed".into(),
        other => format!("{other:?}").chars().take(80).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_system_store_falls_back_to_mozillas_roots() {
        let fallback = system_roots(Vec::new(), false).unwrap();
        assert_eq!(fallback.len(), webpki_roots::TLS_SERVER_ROOTS.len());
    }

    #[test]
    fn variables_that_yield_nothing_are_an_error_not_a_fallback() {
        let error = system_roots(Vec::new(), true).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("SSL_CERT_FILE / SSL_CERT_DIR: no certificate could be read from them")
        );
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let error = Trust::only_file(&path).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("no certificate in it")),
            "got {error:?}"
        );
        let missing = Trust::only_file(&dir.path().join("missing.pem")).err();
        assert!(
            missing.is_some_and(|e| e.problem.starts_with("cannot read it")),
            "a missing file is an error"
        );
    }

    #[test]
    fn certificate_errors_are_told_in_words() {
        let wrapped = |e: rustls::Error| std::io::Error::other(e);
        assert_eq!(
            untrusted_reason(&wrapped(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            )))
            .as_deref(),
            Some("issued by an authority this machine does not trust")
        );
        assert_eq!(
            untrusted_reason(&wrapped(rustls::Error::DecryptError)),
            None,
            "not a certificate problem"
        );
        assert_eq!(untrusted_reason(&std::io::Error::other("reset")), None);
    }
}
