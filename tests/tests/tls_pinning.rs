//! TLS pins (issue 14 item 5): the platform behind a TLS front that presents either its real
//! certificate or an impostor's — a certificate for the same address from the same trusted CA
//! with another key, what a mis-issuing or compromised CA hands an interceptor. With the
//! platform's key pinned the impostor gets nothing: enroll and sync stop with
//! `TlsPinMismatch`, no report is parked or deleted, and the pins outlive a relaunch that
//! configures the engine without them.

mod sync_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gridpatrol_core::capture::OutboxState;
use gridpatrol_core::sync::tls::spki_pin;
use gridpatrol_core::sync::{SyncConfig, SyncEngine, TlsTrust};
use gridpatrol_core::{Client, Error};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sync_support::{CODE, TestPlatform, capture_plain, fast_config};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

struct Certs {
    ca_pem: String,
    ca: CertificateDer<'static>,
    platform: (CertificateDer<'static>, PrivateKeyDer<'static>),
    impostor: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

fn certs() -> Certs {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "gridpatrol test city CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca");
    let leaf = || {
        let key = KeyPair::generate().expect("leaf key");
        let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf params");
        let cert = params.signed_by(&key, &ca).expect("leaf");
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    };
    Certs {
        ca_pem: ca.pem(),
        ca: ca.der().clone(),
        platform: leaf(),
        impostor: leaf(),
    }
}

/// A TLS front on 127.0.0.1 forwarding to the platform; `impostor` picks the certificate the
/// next connections get. The chain sent is the leaf and the CA.
struct Front {
    addr: SocketAddr,
    impostor: Arc<AtomicBool>,
}

impl Front {
    async fn start(certs: &Certs, backend: SocketAddr) -> Front {
        let acceptor = |(cert, key): &(CertificateDer<'static>, PrivateKeyDer<'static>)| {
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone(), certs.ca.clone()], key.clone_key())
            .expect("server config");
            TlsAcceptor::from(Arc::new(config))
        };
        let (real, fake) = (acceptor(&certs.platform), acceptor(&certs.impostor));
        let impostor = Arc::new(AtomicBool::new(false));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let choose = impostor.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = if choose.load(Ordering::SeqCst) {
                    fake.clone()
                } else {
                    real.clone()
                };
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return; // the client refused our certificate
                    };
                    let Ok(mut plain) = TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        Front { addr, impostor }
    }

    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

fn pinned_config(url: &str, pins: Vec<String>, ca_pem: &str) -> SyncConfig {
    let mut config = fast_config(url);
    config.tls = Some(TlsTrust {
        spki_pins: pins,
        ca_pem: Some(ca_pem.to_string()),
    });
    config
}

fn pending_and_parked(client: &Client) -> (usize, usize) {
    let queue = client.queue().expect("queue");
    let parked = queue.iter().filter(|e| e.state == OutboxState::Parked).count();
    let pending = queue.iter().filter(|e| e.state == OutboxState::Pending).count();
    (pending, parked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_platform_syncs_and_an_impostor_with_a_trusted_certificate_gets_nothing() {
    gridpatrol_core::sync::install_tls_provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let certs = certs();
    let front = Front::start(&certs, platform.addr).await;
    let platform_pin = spki_pin(&certs.platform.0).expect("pin");
    let backup_pin = spki_pin(&certs.ca).expect("pin of the CA");
    assert_ne!(platform_pin, spki_pin(&certs.impostor.0).expect("pin"));

    // Only the platform's own key pinned (and an unrelated backup key of ours).
    let unrelated_backup = format!("sha256/{}", "A".repeat(43) + "=");
    let config = pinned_config(
        &front.url(),
        vec![unrelated_backup, platform_pin.clone()],
        &certs.ca_pem,
    );

    // A fresh device meeting the impostor first cannot even enroll.
    front.impostor.store(true, Ordering::SeqCst);
    let lured = Arc::new(Client::open(dir.path().join("lured")).expect("client"));
    let engine = SyncEngine::new(lured.clone(), config.clone()).expect("engine");
    let error = engine
        .enroll(CODE, "phone")
        .await
        .expect_err("enroll to an impostor");
    assert!(matches!(error, Error::TlsPinMismatch), "{error:?}");
    assert_eq!(error.code(), "tls_pin_mismatch");
    assert!(!engine.is_enrolled());
    engine.shutdown();

    // The real platform: enrolled and synced through TLS.
    front.impostor.store(false, Ordering::SeqCst);
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let engine = SyncEngine::new(client.clone(), config.clone()).expect("engine");
    engine.enroll(CODE, "phone").await.expect("enroll");
    capture_plain(&client, 0, 3, 1);
    let summary = engine.sync_now(Duration::from_secs(20)).await.expect("sync");
    assert_eq!((summary.delivered, summary.pending, summary.parked), (3, 0, 0));
    engine.shutdown();

    // The impostor takes the address. A relaunch configures the engine without pins (as an app
    // that only knows the address does): the stored pins still hold.
    front.impostor.store(true, Ordering::SeqCst);
    capture_plain(&client, 3, 2, 1);
    let relaunched = SyncEngine::new(client.clone(), fast_config(&front.url())).expect("engine");
    assert_eq!(relaunched.tls_trust(), config.tls.as_ref().expect("trust"));
    let error = relaunched
        .sync_now(Duration::from_secs(5))
        .await
        .expect_err("sync to an impostor");
    assert!(matches!(error, Error::TlsPinMismatch), "{error:?}");
    assert_eq!(
        pending_and_parked(&client),
        (2, 0),
        "nothing parked, nothing lost"
    );
    assert_eq!(
        platform.stats().await["reports"],
        3,
        "the platform got nothing new"
    );

    // A malformed pin set is refused when the engine is made, and the stored pins stay.
    let mut bad = fast_config(&front.url());
    bad.tls = Some(TlsTrust {
        spki_pins: vec!["sha256/short".into()],
        ca_pem: None,
    });
    let error = SyncEngine::new(client.clone(), bad).expect_err("bad pin");
    assert!(
        matches!(
            error,
            Error::InvalidArgument {
                field: "tls_pins",
                ..
            }
        ),
        "{error:?}"
    );
    let again = SyncEngine::new(client.clone(), fast_config(&front.url())).expect("engine");
    assert_eq!(again.tls_trust(), config.tls.as_ref().expect("trust"));
    again.shutdown();
    relaunched.shutdown();

    // The real platform is back: the two waiting reports go, once.
    front.impostor.store(false, Ordering::SeqCst);
    let engine = SyncEngine::new(client.clone(), fast_config(&front.url())).expect("engine");
    let summary = engine.sync_now(Duration::from_secs(20)).await.expect("sync");
    assert_eq!((summary.delivered, summary.pending, summary.parked), (5, 0, 0));
    assert_eq!(platform.stats().await["reports"], 5);
    engine.shutdown();

    // Pinning the CA (sent in the chain) trusts every certificate it issues, the impostor's
    // too: the documented trade-off of pinning an issuer instead of the platform's key.
    let ca_pinned = SyncEngine::new(
        Arc::new(Client::open(dir.path().join("ca-pinned")).expect("client")),
        pinned_config(&front.url(), vec![backup_pin], &certs.ca_pem),
    )
    .expect("engine");
    front.impostor.store(true, Ordering::SeqCst);
    ca_pinned
        .enroll(CODE, "phone")
        .await
        .expect("a CA pin accepts the CA's certificates");
    ca_pinned.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_does_not_replace_chain_verification() {
    gridpatrol_core::sync::install_tls_provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let certs = certs();
    let front = Front::start(&certs, platform.addr).await;
    // The platform's key pinned, but its CA not trusted (the system's store does not hold
    // it): the chain fails before the pins are looked at — a network failure, not a pass.
    let mut config = fast_config(&front.url());
    config.tls = Some(TlsTrust {
        spki_pins: vec![spki_pin(&certs.platform.0).expect("pin")],
        ca_pem: None,
    });
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let engine = SyncEngine::new(client, config).expect("engine");
    let error = engine.enroll(CODE, "phone").await.expect_err("untrusted chain");
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    engine.shutdown();
}
