//! TLS to PostgreSQL, chosen by `DATABASE_URL` the way libpq users write it.
//!
//! - `sslmode` absent, `disable`, `allow` or `prefer`: plain TCP (`prefer` does not try TLS first: ask for TLS with
//!   `require`).
//! - `sslmode=require`, `verify-ca` or `verify-full`: TLS, and the server's certificate is always verified, chain
//!   and host name (libpq's `verify-full`): against `sslrootcert=<PEM file>` when the URL names one (the CA bundle
//!   of RDS, Azure, Supabase, Cloud SQL, ...; as in libpq, only those certificates are trusted then), else against
//!   the operating system's roots.
//!
//! `sslrootcert` and the verify modes are read here and taken out of the URL before tokio-postgres parses it (it
//! knows neither). rustls with aws-lc-rs, the same stack the HTTP clients use.

use std::sync::Arc;

use anyhow::Context;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use rustls_tokio_postgres::MakeRustlsConnect;
use tokio_postgres::config::SslMode;

/// A parsed `DATABASE_URL`: the connection settings, and the TLS connector when the URL asks for TLS.
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Option<MakeRustlsConnect>,
}

/// What the URL's query asked for, with the parts tokio-postgres does not know removed.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    url: String,
    tls: bool,
    root_cert: Option<String>,
}

pub fn parse(url: &str) -> anyhow::Result<Target> {
    let request = split(url);
    let mut config: tokio_postgres::Config =
        request.url.parse().context("DATABASE_URL is not a valid PostgreSQL connection string")?;
    let tls = request.tls || config.get_ssl_mode() == SslMode::Require;
    if !tls {
        config.ssl_mode(SslMode::Disable);
        return Ok(Target { config, tls: None });
    }
    config.ssl_mode(SslMode::Require);
    let roots = roots(request.root_cert.as_deref())?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS to PostgreSQL: no usable protocol version")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Target { config, tls: Some(MakeRustlsConnect::new(client)) })
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query (a key=value connection string is left as it is).
fn split(url: &str) -> Request {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
        return Request { url: url.to_owned(), tls: false, root_cert: None };
    };
    let mut kept = Vec::new();
    let mut request = Request { url: String::new(), tls: false, root_cert: None };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || form_urlencoded::parse(format!("v={value}").as_bytes()).next().map(|(_, v)| v.into_owned());
        match key {
            "sslmode" if matches!(value, "require" | "verify-ca" | "verify-full") => request.tls = true,
            "sslmode" if matches!(value, "disable" | "allow" | "prefer") => request.tls = false,
            "sslrootcert" => request.root_cert = decoded().filter(|v| !v.is_empty()),
            _ => kept.push(pair),
        }
    }
    request.url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    request
}

/// The certificates of `root_cert` (PEM) when given, else the operating system's roots.
fn roots(root_cert: Option<&str>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let Some(path) = root_cert else {
        let (added, _) = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if added == 0 {
            anyhow::bail!(
                "DATABASE_URL asks for TLS but this machine has no CA certificates: install ca-certificates or name \
                 a CA file with sslrootcert=<path>"
            );
        }
        return Ok(roots);
    };
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| anyhow::anyhow!("sslrootcert {path}: cannot read PEM certificates: {e}"))?;
    if certificates.is_empty() {
        anyhow::bail!("sslrootcert {path}: no certificate in the file");
    }
    for certificate in certificates {
        roots.add(certificate).map_err(|e| anyhow::anyhow!("sslrootcert {path}: {e}"))?;
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_read_and_removed() {
        let request =
            split("postgres://u:p@db:5432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Frds.pem&connect_timeout=5");
        assert_eq!(
            request,
            Request {
                url: "postgres://u:p@db:5432/app?connect_timeout=5".into(),
                tls: true,
                root_cert: Some("/etc/rds.pem".into())
            }
        );
        assert!(split("postgres://db/app?sslmode=require").tls);
        assert!(!split("postgres://db/app?sslmode=prefer").tls);
        assert!(!split("postgres://db/app").tls);
        let plain = split("host=db sslmode=disable");
        assert_eq!((plain.url.as_str(), plain.tls), ("host=db sslmode=disable", false));
    }

    #[test]
    fn plain_urls_stay_plain_and_tls_urls_get_a_connector() {
        let plain = parse("postgres://postgres@127.0.0.1:5432/app?sslmode=prefer").expect("plain");
        assert!(plain.tls.is_none());
        assert_eq!(plain.config.get_ssl_mode(), SslMode::Disable);
        let missing = parse("postgres://db/app?sslmode=require&sslrootcert=/nonexistent/ca.pem");
        let message = format!("{:#}", missing.err().expect("a missing CA file is an error"));
        assert!(message.contains("sslrootcert /nonexistent/ca.pem"), "{message}");
        assert!(parse("postgres://db/app?sslmode=bogus").is_err(), "an unknown sslmode is refused");
    }
}
