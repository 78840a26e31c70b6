//! Run an axum router on a free loopback port in its own thread and runtime, so that tests
//! which block on child processes (skopeo talking to the token server) cannot starve it.

use std::net::SocketAddr;

/// A server running in the background; stopped and joined on drop.
pub struct BackgroundServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// Serve `app` on `127.0.0.1:0`.
    pub fn start(app: axum::Router) -> BackgroundServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("fixture runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    result = axum::serve(listener, app) => result.expect("fixture server"),
                    _ = stopped => {}
                }
            });
            // Do not wait for handlers that are still sleeping.
            rt.shutdown_background();
        });
        BackgroundServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
