//! HTTPS: the rustls configuration from PEM files of one's own, or from a local CA the service makes
//! once in `--data-dir/tls` (`--tls-self-signed`) so that a client needs only to trust its
//! certificate, `ca.pem`.
//!
//! The CA lives ten years; the server certificate it signs, for `localhost`, `127.0.0.1`, `::1` and
//! every `--tls-name`, 397 days (what browsers accept of any CA). That certificate is issued again,
//! by the same CA, when the names asked for change or it has less than 30 days left, so clients
//! keep trusting the service across restarts.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::config::TlsArgs;

/// Why the TLS setup failed: a file that cannot be read or written, a certificate that cannot be
/// made or parsed.
pub type TlsError = Box<dyn std::error::Error + Send + Sync>;

/// The local CA's directory inside `--data-dir`.
const DIRECTORY: &str = "tls";
const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";
/// What the server certificate was issued for: its names and when it expires.
const SERVER_ISSUED: &str = "server.json";
const LOCK: &str = ".lock";

/// The names every self-signed server certificate has.
const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const CA_LIFETIME: Duration = Duration::days(3650);
const SERVER_LIFETIME: Duration = Duration::days(397);
/// A server certificate closer to its end than this is issued again at start.
const RENEW_BEFORE: Duration = Duration::days(30);

/// How the service serves HTTPS.
pub struct Tls {
    pub config: ServerConfig,
    /// With `--tls-self-signed`: the CA certificate clients must trust.
    pub ca_certificate: Option<PathBuf>,
}

/// The HTTPS configuration the flags ask for; `None` serves plain HTTP.
pub fn configure(args: &TlsArgs, data_dir: &Path) -> Result<Option<Tls>, TlsError> {
    if args.tls_self_signed {
        let directory = data_dir.join(DIRECTORY);
        local_ca_certificate(&directory, &args.tls_names)?;
        let config = from_pem_files(&directory.join(SERVER_CERT), &directory.join(SERVER_KEY))?;
        return Ok(Some(Tls {
            config,
            ca_certificate: Some(directory.join(CA_CERT)),
        }));
    }
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Ok(Some(Tls {
            config: from_pem_files(cert, key)?,
            ca_certificate: None,
        })),
        // clap requires both or neither.
        _ => Ok(None),
    }
}

/// A rustls server configuration (ring, TLS 1.2 and 1.3) from a PEM certificate chain and key.
pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificates from {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no PEM CERTIFICATE", cert.display()).into());
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {}: {e}", key.display()))?;
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(|e| {
                format!(
                    "cannot serve HTTPS with {} and {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
    Ok(config)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerIssued {
    names: Vec<String>,
    /// Unix seconds.
    not_after: i64,
}

/// Makes the local CA when there is none, and a server certificate for `extra_names` and the
/// local names when the current one does not fit; one process at a time.
fn local_ca_certificate(directory: &Path, extra_names: &[String]) -> Result<(), TlsError> {
    std::fs::create_dir_all(directory)
        .map_err(|e| format!("cannot create {}: {e}", directory.display()))?;
    std::fs::set_permissions(directory, std::fs::Permissions::from_mode(0o700))?;
    let lock = File::create(directory.join(LOCK))?;
    // Held until `lock` is closed at the end of this function.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(format!("cannot lock {}", directory.join(LOCK).display()).into());
    }

    let ca_key = match std::fs::read_to_string(directory.join(CA_KEY)) {
        Ok(pem) => KeyPair::from_pem(&pem)
            .map_err(|e| format!("{}: {e}", directory.join(CA_KEY).display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = KeyPair::generate()?;
            let now = OffsetDateTime::now_utc();
            let mut params = ca_params(&key);
            params.not_before = now - Duration::days(1);
            params.not_after = now + CA_LIFETIME;
            let certificate = params.self_signed(&key)?;
            // The key last: a CA key on disk always has its certificate beside it.
            write_file(
                &directory.join(CA_CERT),
                certificate.pem().as_bytes(),
                0o644,
            )?;
            write_file(
                &directory.join(CA_KEY),
                key.serialize_pem().as_bytes(),
                0o600,
            )?;
            // The server certificate of an earlier CA is of no use any more.
            let _ = std::fs::remove_file(directory.join(SERVER_ISSUED));
            log::info!("made a local CA: {}", directory.join(CA_CERT).display());
            key
        }
        Err(e) => return Err(format!("{}: {e}", directory.join(CA_KEY).display()).into()),
    };

    let mut names: Vec<String> = LOCAL_NAMES
        .iter()
        .map(|name| name.to_string())
        .chain(
            extra_names
                .iter()
                .map(|name| name.trim().to_ascii_lowercase()),
        )
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    names.dedup();
    let now = OffsetDateTime::now_utc();
    let issued: Option<ServerIssued> = std::fs::read(directory.join(SERVER_ISSUED))
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok());
    let fits = issued.is_some_and(|issued| {
        issued.names == names && issued.not_after > (now + RENEW_BEFORE).unix_timestamp()
    }) && directory.join(SERVER_CERT).exists()
        && directory.join(SERVER_KEY).exists();
    if fits {
        return Ok(());
    }

    let mut params = CertificateParams::new(names.clone())
        .map_err(|e| format!("--tls-name: not a DNS name or IP address ({e}): {names:?}"))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "autopilot-registry");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::days(1);
    params.not_after = now + SERVER_LIFETIME;
    let key = KeyPair::generate()?;
    let certificate = params.signed_by(&key, &Issuer::new(ca_params(&ca_key), &ca_key))?;
    let ca_pem = std::fs::read_to_string(directory.join(CA_CERT))
        .map_err(|e| format!("{}: {e}", directory.join(CA_CERT).display()))?;
    write_file(
        &directory.join(SERVER_KEY),
        key.serialize_pem().as_bytes(),
        0o600,
    )?;
    // The chain a client is sent: the server's certificate, then the CA's.
    let chain = format!("{}{ca_pem}", certificate.pem());
    write_file(&directory.join(SERVER_CERT), chain.as_bytes(), 0o644)?;
    let issued = ServerIssued {
        names,
        not_after: params.not_after.unix_timestamp(),
    };
    write_file(
        &directory.join(SERVER_ISSUED),
        &serde_json::to_vec_pretty(&issued)?,
        0o644,
    )?;
    log::info!("issued a server certificate for {:?}", issued.names);
    Ok(())
}

/// The CA's subject and extensions, the same every time for one key: the server certificate's
/// issuer must repeat the CA certificate's subject, and the key names the CA (two machines' CAs
/// never share a name).
fn ca_params(key: &KeyPair) -> CertificateParams {
    let fingerprint = Sha256::digest(key.public_key_raw());
    let short: String = fingerprint[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(
        DnType::CommonName,
        format!("autopilot-registry local CA {short}"),
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "autopilot-registry");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    let temporary = path.with_extension("tmp");
    // A leftover of a crash may have other permissions, which `mode` would not change.
    let _ = std::fs::remove_file(&temporary);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temporary)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
