//! Binding the TCP and Unix listeners and their accept loops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::broadcast;

use super::admit::Shared;
use super::{Hub, ServerConfig, hello_line};
use crate::publisher::{Line, ServerStats};

/// Binds the listener; accepted connections inherit its kernel send
/// buffer size.
///
/// # Errors
/// Socket errors (address in use, …).
pub fn bind(addr: SocketAddr, send_buffer_bytes: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_send_buffer_size(send_buffer_bytes)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Accepts clients until the forwarder (the only strong sender of `lines`)
/// is gone.
pub async fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    lines: broadcast::WeakSender<Line>,
    stats: Arc<ServerStats>,
    hub: Arc<Hub>,
) {
    let hello = hello_line(&config);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let shared = Shared {
            config: &config,
            lines: &lines,
            stats: &stats,
            hub: &hub,
            hello: &hello,
        };
        if !shared.admit(read, write, peer.to_string()) {
            break;
        }
    }
}

/// Binds a Unix domain socket at `path` (a stale socket file is replaced),
/// readable and writable by the owner only. Call inside the runtime.
///
/// # Errors
/// Socket errors, or `path` existing as something other than a socket.
pub fn bind_unix(path: &std::path::Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// As [`serve`], on a Unix domain socket; removes the socket file when it
/// ends (or when the runtime drops it).
pub async fn serve_unix(
    listener: tokio::net::UnixListener,
    path: std::path::PathBuf,
    config: Arc<ServerConfig>,
    lines: broadcast::WeakSender<Line>,
    stats: Arc<ServerStats>,
    hub: Arc<Hub>,
) {
    struct Remove(std::path::PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _remove = Remove(path.clone());
    let hello = hello_line(&config);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let (read, write) = stream.into_split();
        let shared = Shared {
            config: &config,
            lines: &lines,
            stats: &stats,
            hub: &hub,
            hello: &hello,
        };
        if !shared.admit(read, write, format!("unix:{}", path.display())) {
            break;
        }
    }
}
