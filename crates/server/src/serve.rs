//! Running the server: plain HTTP on loopback (or when told it sits behind a TLS proxy), TLS
//! with rustls when given a certificate and key; a header timeout on every connection; on
//! SIGTERM or Ctrl-C, stop accepting and finish the requests in flight.

use crate::AppState;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use std::net::SocketAddr;
use std::time::Duration;

/// How long in-flight requests get after a shutdown signal.
const GRACE: Duration = Duration::from_secs(20);

pub async fn run(state: AppState) -> anyhow::Result<()> {
    let config = state.config.clone();
    let app = crate::app::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let handle: Handle<SocketAddr> = Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone()));
    // Housekeeping: idle rate-limit entries every minute; expired sessions, spent codes, old
    // lockout counts and abandoned uploads every ten.
    let housekeeping = state.clone();
    tokio::spawn(async move {
        for minute in 1u64.. {
            tokio::time::sleep(Duration::from_secs(60)).await;
            housekeeping.limits.shrink();
            if minute % 10 == 1 {
                match crate::maintenance::sweep(&housekeeping).await {
                    Ok(swept) => tracing::debug!(?swept, "housekeeping"),
                    Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
                }
            }
        }
    });
    let header_timeout = Duration::from_secs(config.header_timeout_secs);
    match &config.tls {
        Some(tls) => {
            let rustls_config = RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "TLS 证书或私钥读取失败 ({} / {}): {e}",
                        tls.cert.display(),
                        tls.key.display()
                    )
                })?;
            let mut server =
                axum_server::from_tcp_rustls(bind(&config)?, rustls_config)?.handle(handle.clone());
            tune(server.http_builder(), header_timeout);
            announce(&state, "https");
            server.serve(app).await?;
        }
        None => {
            let mut server = axum_server::from_tcp(bind(&config)?)?.handle(handle.clone());
            tune(server.http_builder(), header_timeout);
            announce(&state, "http");
            server.serve(app).await?;
        }
    }
    tracing::info!("server stopped");
    Ok(())
}

/// Binds before announcing: whoever waits for "listening on" can connect at once.
fn bind(config: &crate::config::Config) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| anyhow::anyhow!("无法监听 {}: {e}", config.listen))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

fn tune(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    header_timeout: Duration,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
}

fn announce(state: &AppState, scheme: &str) {
    tracing::info!(
        "photoroll-server {} listening on {scheme}://{} (records: {}, photos: {})",
        crate::VERSION,
        state.config.listen,
        state.db.backend.name(),
        state.blobs.kind
    );
    // A line the tests and scripts wait for, on stdout.
    println!("listening on {scheme}://{}", state.config.listen);
}

async fn shutdown_on_signal(handle: Handle<SocketAddr>) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    handle.graceful_shutdown(Some(GRACE));
}
