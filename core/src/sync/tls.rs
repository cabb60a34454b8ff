//! Which TLS certificates the engine accepts from its platform: the system's trust (the
//! default), a private CA instead of it, and optional SPKI SHA-256 pins on top of either.
//!
//! Owns [`TlsTrust`] (what the app configures), its check ([`TlsTrust::check`]: a malformed
//! pin or CA is `InvalidArgument` when the engine is made, never a failed sync later), the
//! rustls client configuration built from it, and [`is_pin_mismatch`], which finds our own
//! refusal inside a failed request so the run can stop with [`Error::TlsPinMismatch`]. A
//! mismatch is not a transient network failure (retrying reaches the same server) nor a
//! report's fault (nothing is parked): the run stops, every report stays pending.
//!
//! Pins are checked after — never instead of — the ordinary chain and host-name verification,
//! against the keys of the certificates the server presents (its own and the intermediates it
//! sends): pin the platform's key and a backup key, or the issuing CA's intermediate. The
//! format is OkHttp's and HPKP's, `sha256/` + base64 of the SHA-256 of the DER
//! SubjectPublicKeyInfo (`openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
//! openssl dgst -sha256 -binary | base64`).
//!
//! It does not own where the trust is stored with the platform address (`credentials`), nor
//! the HTTP client's other settings (`SyncEngine::new`).

use std::sync::Arc;

use base64::Engine as _;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The most pins a platform may carry (a key, its backup, a CA or two: a list of hundreds is a
/// configuration mistake).
pub const MAX_PINS: usize = 16;

/// How the engine trusts its platform's TLS certificate. The default (no pins, no CA) is the
/// system's trust store, as any HTTPS client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TlsTrust {
    /// `sha256/<base64>` of the SubjectPublicKeyInfo of a certificate the platform presents;
    /// when any is given, a connection whose chain has none of them is refused.
    pub spki_pins: Vec<String>,
    /// PEM certificates of a private CA that replaces the system's trust store (a platform on
    /// a city intranet); `None`: the system's.
    pub ca_pem: Option<String>,
}

impl TlsTrust {
    pub fn is_default(&self) -> bool {
        self.spki_pins.is_empty() && self.ca_pem.is_none()
    }

    /// Checks every pin and the CA certificates; errors name the field, never quote the input.
    pub fn check(&self) -> Result<()> {
        self.pins().map(drop)?;
        self.roots().map(drop)
    }

    fn pins(&self) -> Result<Vec<[u8; 32]>> {
        if self.spki_pins.len() > MAX_PINS {
            return Err(invalid("tls_pins", format!("at most {MAX_PINS} pins")));
        }
        self.spki_pins
            .iter()
            .enumerate()
            .map(|(index, pin)| {
                let hash = pin
                    .trim()
                    .strip_prefix("sha256/")
                    .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
                hash.ok_or_else(|| {
                    invalid(
                        "tls_pins",
                        format!("pin {index} is not sha256/ and the base64 of 32 bytes"),
                    )
                })
            })
            .collect()
    }

    fn roots(&self) -> Result<Option<RootCertStore>> {
        let Some(pem) = &self.ca_pem else {
            return Ok(None);
        };
        let mut roots = RootCertStore::empty();
        for (index, cert) in CertificateDer::pem_slice_iter(pem.as_bytes()).enumerate() {
            let cert = cert.map_err(|_| invalid("tls_ca_pem", format!("certificate {index} is not PEM")))?;
            roots
                .add(cert)
                .map_err(|_| invalid("tls_ca_pem", format!("certificate {index} is not a usable CA")))?;
        }
        if roots.is_empty() {
            return Err(invalid("tls_ca_pem", "no CERTIFICATE block".into()));
        }
        Ok(Some(roots))
    }

    /// The rustls configuration for this trust; `None` for the default (reqwest's own, the
    /// system's trust store).
    pub(crate) fn client_config(&self) -> Result<Option<rustls::ClientConfig>> {
        if self.is_default() {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner: Arc<dyn ServerCertVerifier> = match self.roots()? {
            Some(roots) => WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|_| invalid("tls_ca_pem", "the CA certificates cannot verify".into()))?,
            None => Arc::new(
                rustls_platform_verifier::Verifier::new(provider.clone())
                    .map_err(|_| tls_setup("the system trust store is unavailable"))?,
            ),
        };
        let verifier = PinnedVerifier {
            inner,
            pins: self.pins()?,
        };
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| tls_setup("no TLS version in common with the crypto provider"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(config))
    }
}

fn invalid(field: &'static str, reason: String) -> Error {
    Error::InvalidArgument { field, reason }
}

fn tls_setup(reason: &str) -> Error {
    Error::Network {
        reason: format!("tls setup: {reason}"),
    }
}

/// The SHA-256 of a certificate's DER SubjectPublicKeyInfo (what a pin names).
pub fn spki_sha256(cert: &CertificateDer<'_>) -> Option<[u8; 32]> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// The pin of a certificate, in the form [`TlsTrust::spki_pins`] takes.
pub fn spki_pin(cert: &CertificateDer<'_>) -> Option<String> {
    spki_sha256(cert).map(|hash| {
        format!(
            "sha256/{}",
            base64::engine::general_purpose::STANDARD.encode(hash)
        )
    })
}

/// Our refusal of a chain without a pinned key, carried inside rustls' and reqwest's errors.
#[derive(Debug, thiserror::Error)]
#[error("no certificate of the platform's chain has a pinned key")]
struct PinMismatch;

/// Whether a failed request failed because the platform's chain matched no pin.
pub(crate) fn is_pin_mismatch(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<PinMismatch>() {
            return true;
        }
        if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))) =
            error.downcast_ref::<rustls::Error>()
            && other.0.is::<PinMismatch>()
        {
            return true;
        }
        // hyper-util and std's io::Error hold their cause as a source; rustls' as a payload.
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && is_pin_mismatch(inner)
        {
            return true;
        }
        next = error.source();
    }
    false
}

/// The usual verification first, then the pins over the presented chain.
#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    pins: Vec<[u8; 32]>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verified =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        let pinned = self.pins.is_empty()
            || std::iter::once(end_entity)
                .chain(intermediates)
                .filter_map(spki_sha256)
                .any(|hash| self.pins.contains(&hash));
        if pinned {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch)),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust(pins: &[&str]) -> TlsTrust {
        TlsTrust {
            spki_pins: pins.iter().map(|p| p.to_string()).collect(),
            ca_pem: None,
        }
    }

    #[test]
    fn pins_are_sha256_slash_base64_of_32_bytes() {
        let good = format!(
            "sha256/{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        );
        assert!(trust(&[&good]).check().is_ok());
        for bad in [
            "sha1/AAAA",
            "sha256/not base64!",
            "sha256/AAAA",
            &good[..good.len() - 4],
            "",
        ] {
            let error = trust(&[&good, bad])
                .check()
                .expect_err("a malformed pin is refused");
            let Error::InvalidArgument { field, reason } = error else {
                panic!("not InvalidArgument: {error:?}")
            };
            assert_eq!(field, "tls_pins");
            assert!(reason.contains("pin 1"), "{reason}");
            assert!(
                bad.is_empty() || !reason.contains(bad),
                "the reason quotes the input: {reason}"
            );
        }
        let many: Vec<String> = (0..=MAX_PINS).map(|_| good.clone()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(trust(&many).check().is_err());
    }

    #[test]
    fn a_ca_that_is_not_a_certificate_is_refused() {
        for pem in [
            "",
            "hello",
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        ] {
            let trust = TlsTrust {
                spki_pins: vec![],
                ca_pem: Some(pem.into()),
            };
            assert!(
                matches!(
                    trust.check(),
                    Err(Error::InvalidArgument {
                        field: "tls_ca_pem",
                        ..
                    })
                ),
                "{pem:?}"
            );
        }
    }

    #[test]
    fn the_default_trust_keeps_reqwests_configuration() {
        assert!(TlsTrust::default().is_default());
        assert!(TlsTrust::default().client_config().expect("default").is_none());
    }

    #[test]
    fn a_pin_mismatch_is_found_through_the_error_chain() {
        let rustls_error =
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(PinMismatch))));
        let io = std::io::Error::other(rustls_error);
        assert!(is_pin_mismatch(&io));
        let other = std::io::Error::other(rustls::Error::InvalidCertificate(CertificateError::Expired));
        assert!(!is_pin_mismatch(&other));
    }
}
