//! TLS serving: a CA and a serving certificate generated into `<data-dir>/tls/` (rcgen on
//! aws-lc-rs) or given with `--tls-cert/--tls-key`, a rustls server configuration (aws-lc-rs
//! provider only), and an accept loop whose handshakes run concurrently.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// TLS options of `tagplane serve`.
#[derive(Clone, Debug, Default)]
pub struct TlsConfig {
    /// `--tls`: serve HTTPS even on loopback.
    pub enabled: bool,
    /// `--tls-cert`: PEM certificate chain to serve.
    pub cert: Option<PathBuf>,
    /// `--tls-key`: PEM private key of `cert`.
    pub key: Option<PathBuf>,
    /// `--tls-san`: extra names (DNS names or IP addresses) of the generated certificate.
    pub sans: Vec<String>,
}

impl TlsConfig {
    /// Whether a listener on `listen` serves HTTPS: always off loopback, else when asked.
    pub fn wanted(&self, listen: &SocketAddr) -> bool {
        self.enabled || self.cert.is_some() || self.key.is_some() || !listen.ip().is_loopback()
    }
}

/// What the server needs to serve TLS.
#[derive(Debug)]
pub struct TlsMaterial {
    /// The rustls configuration (HTTP/2 and HTTP/1.1 by ALPN).
    pub server_config: Arc<rustls::ServerConfig>,
    /// PEM of the CA that signed the serving certificate, when tagplane generated it (goes into
    /// the admin kubeconfig).
    pub ca_pem: Option<String>,
}

fn err(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

fn write_file(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    if secret {
        crate::private_fs::write_private(path, text.as_bytes()).map_err(|e| err(path, e))
    } else {
        std::fs::write(path, text).map_err(|e| err(path, e))
    }
}

/// The CA's parameters (the same on every start, so a stored CA key can sign again).
fn ca_params() -> Result<CertificateParams, String> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "tagplane");
    dn.push(DnType::CommonName, "tagplane-ca");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2124, 1, 1);
    Ok(p)
}

/// The names of the generated serving certificate: `localhost`, `127.0.0.1`, `::1`, the
/// listen address (unless it is unspecified) and `extra`.
pub fn serving_sans(listen: &SocketAddr, extra: &[String]) -> Vec<String> {
    let mut sans: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    if !listen.ip().is_unspecified() {
        sans.push(listen.ip().to_string());
    }
    for s in extra {
        let s = s.trim().to_owned();
        if !s.is_empty() {
            sans.push(s);
        }
    }
    let mut seen = std::collections::HashSet::new();
    sans.retain(|s| seen.insert(s.clone()));
    sans
}

/// Make sure `<dir>/ca.{crt,key}` exist and `<dir>/serving.{crt,key}` cover `sans`; returns
/// the CA PEM.
pub fn ensure_generated(dir: &Path, sans: &[String]) -> Result<String, String> {
    crate::private_fs::create_private_dir(dir).map_err(|e| err(dir, e))?;
    let (ca_crt, ca_key) = (dir.join("ca.crt"), dir.join("ca.key"));
    let (crt, key, names) = (
        dir.join("serving.crt"),
        dir.join("serving.key"),
        dir.join("serving.sans"),
    );
    let ca_key_pair = if ca_crt.exists() && ca_key.exists() {
        let pem = std::fs::read_to_string(&ca_key).map_err(|e| err(&ca_key, e))?;
        KeyPair::from_pem(&pem).map_err(|e| err(&ca_key, e))?
    } else {
        let kp = KeyPair::generate().map_err(|e| e.to_string())?;
        let cert = ca_params()?.self_signed(&kp).map_err(|e| e.to_string())?;
        write_file(&ca_key, &kp.serialize_pem(), true)?;
        write_file(&ca_crt, &cert.pem(), false)?;
        // A new CA invalidates any serving certificate signed by an older one.
        let _ = std::fs::remove_file(&names);
        kp
    };
    let wanted = sans.join("\n");
    let current = std::fs::read_to_string(&names).unwrap_or_default();
    if !(crt.exists() && key.exists() && current == wanted) {
        let issuer = Issuer::new(ca_params()?, ca_key_pair);
        let kp = KeyPair::generate().map_err(|e| e.to_string())?;
        let mut p = CertificateParams::new(sans.to_vec()).map_err(|e| e.to_string())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "tagplane");
        dn.push(DnType::CommonName, "tagplane");
        p.distinguished_name = dn;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.not_before = rcgen::date_time_ymd(2024, 1, 1);
        p.not_after = rcgen::date_time_ymd(2124, 1, 1);
        let cert = p.signed_by(&kp, &issuer).map_err(|e| e.to_string())?;
        write_file(&key, &kp.serialize_pem(), true)?;
        write_file(&crt, &cert.pem(), false)?;
        write_file(&names, &wanted, false)?;
    }
    std::fs::read_to_string(&ca_crt).map_err(|e| err(&ca_crt, e))
}

/// A rustls server configuration (aws-lc-rs) serving the certificate chain and key in PEM files.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| err(cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(cert, e))?;
    if certs.is_empty() {
        return Err(err(cert, "no PEM certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| err(key, e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| format!("{} and {}: {e}", cert.display(), key.display()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The TLS material for `config`: the given files, or generated ones in `<data_dir>/tls/`.
pub fn material(
    config: &TlsConfig,
    data_dir: &Path,
    listen: &SocketAddr,
) -> Result<TlsMaterial, String> {
    match (&config.cert, &config.key) {
        (Some(cert), Some(key)) => Ok(TlsMaterial {
            server_config: server_config(cert, key)?,
            ca_pem: None,
        }),
        (Some(_), None) | (None, Some(_)) => {
            Err("--tls-cert and --tls-key must be given together".into())
        }
        (None, None) => {
            let dir = data_dir.join("tls");
            let ca = ensure_generated(&dir, &serving_sans(listen, &config.sans))?;
            Ok(TlsMaterial {
                server_config: server_config(&dir.join("serving.crt"), &dir.join("serving.key"))?,
                ca_pem: Some(ca),
            })
        }
    }
}

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A listener that hands out TLS streams; handshakes run in their own tasks, so a slow client
/// holds up no one. Dropping it closes the socket.
#[derive(Debug)]
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accept TLS connections on `listener` with `config`.
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let mut tcp = tcp;
                    if !starts_with_tls(&mut tcp).await {
                        return;
                    }
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, addr, task })
    }
}

/// What a plain-HTTP client on the TLS port is told (as Go's servers say it).
const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// Whether the client opens with a TLS record (handshake, 0x16); a plain-HTTP client is
/// answered with a 400 and dropped.
async fn starts_with_tls(tcp: &mut TcpStream) -> bool {
    use tokio::io::AsyncWriteExt;
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tcp.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == 0x16 => true,
        Ok(Ok(1)) => {
            let _ = tcp.write_all(PLAIN_HTTP_ANSWER).await;
            let _ = tcp.shutdown().await;
            false
        }
        _ => false,
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended (only when aborted): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// The host for URLs of a server listening on `ip` (unspecified → loopback).
pub fn url_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".into(),
        IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".into(),
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_reissues_for_new_names() {
        let dir = tempfile::tempdir().unwrap();
        let listen: SocketAddr = "0.0.0.0:6443".parse().unwrap();
        let sans = serving_sans(&listen, &["registry.example.com".into()]);
        assert_eq!(
            sans,
            ["localhost", "127.0.0.1", "::1", "registry.example.com"]
        );
        let ca = ensure_generated(dir.path(), &sans).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        let serving = std::fs::read(dir.path().join("serving.crt")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for k in ["ca.key", "serving.key"] {
                let mode = std::fs::metadata(dir.path().join(k))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{k}");
            }
        }
        assert_eq!(ensure_generated(dir.path(), &sans).unwrap(), ca);
        assert_eq!(
            std::fs::read(dir.path().join("serving.crt")).unwrap(),
            serving
        );
        let more = serving_sans(&listen, &["other.example.com".into()]);
        assert_eq!(
            ensure_generated(dir.path(), &more).unwrap(),
            ca,
            "the CA is kept"
        );
        assert_ne!(
            std::fs::read(dir.path().join("serving.crt")).unwrap(),
            serving
        );
        server_config(
            &dir.path().join("serving.crt"),
            &dir.path().join("serving.key"),
        )
        .unwrap();
    }

    #[test]
    fn non_loopback_listeners_always_serve_tls() {
        let c = TlsConfig::default();
        assert!(!c.wanted(&"127.0.0.1:1".parse().unwrap()));
        assert!(c.wanted(&"0.0.0.0:1".parse().unwrap()));
        assert!(c.wanted(&"10.1.2.3:1".parse().unwrap()));
        let on = TlsConfig {
            enabled: true,
            ..Default::default()
        };
        assert!(on.wanted(&"[::1]:1".parse().unwrap()));
    }
}
