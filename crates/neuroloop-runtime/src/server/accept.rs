//! Binding the TCP and Unix listeners, and the one accept loop that TCP,
//! Unix sockets and WebSocket share.

use std::future::Future;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream, UnixListener, UnixStream};

use super::admit::Shared;
use super::backlog::Probe;

/// How long the loop waits after a failed accept (out of descriptors and
/// the like) instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// A listening socket the accept loop can drive.
pub(super) trait Listener {
    /// An accepted connection.
    type Stream;
    /// Waits for the next connection and names its peer.
    fn accept_named(&self) -> impl Future<Output = std::io::Result<(Self::Stream, String)>> + Send;
}

impl Listener for TcpListener {
    type Stream = TcpStream;
    async fn accept_named(&self) -> std::io::Result<(TcpStream, String)> {
        let (stream, peer) = self.accept().await?;
        let _ = stream.set_nodelay(true);
        Ok((stream, peer.to_string()))
    }
}

impl Listener for UnixListener {
    type Stream = UnixStream;
    async fn accept_named(&self) -> std::io::Result<(UnixStream, String)> {
        let (stream, _) = self.accept().await?;
        let name = self
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(|p| format!("unix:{}", p.display())));
        Ok((stream, name.unwrap_or_else(|| "unix".into())))
    }
}

/// Accepts connections until the session ends, handing each to `handle`;
/// failed accepts back off briefly and go on.
pub(super) async fn accept_loop<L: Listener>(
    listener: L,
    shared: &Shared,
    mut handle: impl FnMut(L::Stream, String),
) {
    loop {
        let (stream, peer) = match listener.accept_named().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        if !shared.session_alive() {
            break;
        }
        handle(stream, peer);
    }
}

/// Binds the listener; accepted connections inherit its kernel send
/// buffer size.
///
/// # Errors
/// Socket errors (address in use, …).
pub(super) fn bind(addr: SocketAddr, send_buffer_bytes: u32) -> std::io::Result<TcpListener> {
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

/// Accepts clients until the forwarder (the only strong sender of the
/// lines) is gone.
pub(super) async fn serve(listener: TcpListener, shared: Shared) {
    accept_loop(listener, &shared, |stream, peer| {
        let probe = Probe::tcp(stream.as_raw_fd());
        let (read, write) = stream.into_split();
        let _ = shared.admit(read, write, peer, probe);
    })
    .await;
}

/// Binds a Unix domain socket at `path` (a stale socket file is replaced),
/// readable and writable by the owner only. Call inside the runtime.
///
/// # Errors
/// Socket errors, or `path` existing as something other than a socket.
pub(super) fn bind_unix(path: &std::path::Path) -> std::io::Result<UnixListener> {
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
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// As [`serve`], on a Unix domain socket; removes the socket file when it
/// ends (or when the runtime drops it).
pub(super) async fn serve_unix(listener: UnixListener, path: PathBuf, shared: Shared) {
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _remove = Remove(path);
    accept_loop(listener, &shared, |stream, peer| {
        let probe = Probe::Unix(stream.as_raw_fd());
        let (read, write) = stream.into_split();
        let _ = shared.admit(read, write, peer, probe);
    })
    .await;
}
