//! The `frame://` protocol: the live preview and the capture awaiting the student's answer,
//! as JPEG bytes for `<img>`. A preview request may wait up to a second for the next frame, so
//! requests are served by a small fixed pool of threads with a bounded queue: never on the
//! window's thread, never a thread per request; past the queue the window gets 503 and asks
//! again.

use crate::state::AppState;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::http::{Request, Response};
use tauri::{AppHandle, Manager, UriSchemeResponder};

const THREADS: usize = 3;
const QUEUE: usize = 8;

struct FrameRequest {
    app: AppHandle,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
}

/// A fixed number of threads taking jobs from a bounded queue; a job that finds the queue
/// full is handed back at once.
pub(crate) struct BoundedPool<T: Send + 'static> {
    queue: SyncSender<T>,
}

impl<T: Send + 'static> BoundedPool<T> {
    pub(crate) fn new(
        name: &str,
        threads: usize,
        queue: usize,
        handle: impl Fn(T) + Send + Sync + 'static,
    ) -> Self {
        let (tx, rx) = sync_channel::<T>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let handle = Arc::new(handle);
        for i in 0..threads {
            let (rx, handle) = (rx.clone(), handle.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || work(&rx, &*handle));
            if let Err(e) = spawned {
                log::error!("{name} worker {i}: {e}");
            }
        }
        Self { queue: tx }
    }

    /// Queues a job, or gives it back when the queue is full.
    pub(crate) fn submit(&self, job: T) -> Result<(), T> {
        self.queue.try_send(job).map_err(|e| match e {
            TrySendError::Full(job) | TrySendError::Disconnected(job) => job,
        })
    }
}

fn work<T>(jobs: &Mutex<Receiver<T>>, handle: &(impl Fn(T) + ?Sized)) {
    loop {
        let next = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match next {
            Ok(job) => handle(job),
            Err(_) => return,
        }
    }
}

/// The pool serving `frame://`.
pub struct FramePool(BoundedPool<FrameRequest>);

impl FramePool {
    pub fn new() -> Self {
        Self(BoundedPool::new(
            "frame",
            THREADS,
            QUEUE,
            |job: FrameRequest| {
                let response = serve_frame(&job.app, &job.request);
                job.responder.respond(response);
            },
        ))
    }

    /// Queues a request; answers 503 at once when the queue is full.
    pub fn submit(&self, app: AppHandle, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
        let job = FrameRequest {
            app,
            request,
            responder,
        };
        if let Err(job) = self.0.submit(job) {
            job.responder.respond(empty(503));
        }
    }
}

/// A bodiless answer with a status, for both photo protocols (frames and stored photos).
pub(crate) fn empty(status: u16) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("Access-Control-Allow-Origin", "*")
        .header("Cache-Control", "no-store")
        .body(Vec::new())
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

/// `frame://localhost/preview?after=N` (the newest preview after frame N, waiting up to a
/// second), `/original` and `/standard` (the capture awaiting the student's answer).
fn serve_frame(app: &AppHandle, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let state = app.state::<AppState>();
    let uri = request.uri();
    let after = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let (body, sequence) = match uri.path() {
        "/preview" => state
            .camera
            .preview_after(after, Duration::from_secs(1))
            .map_or((None, 0), |(jpeg, seq)| (Some(jpeg), seq)),
        "/original" => (state.desk.original_preview(), 0),
        "/standard" => (state.desk.standard(), 0),
        _ => (None, 0),
    };
    match body {
        Some(jpeg) => Response::builder()
            .status(200)
            .header("Access-Control-Allow-Origin", "*")
            .header("Access-Control-Expose-Headers", "X-Sequence")
            .header("Cache-Control", "no-store")
            .header("Content-Type", "image/jpeg")
            .header("X-Sequence", sequence.to_string())
            .body(jpeg)
            .unwrap_or_else(|_| Response::new(Vec::new())),
        None => empty(204),
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedPool;
    use std::sync::mpsc::channel;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn the_pool_runs_jobs_on_its_own_threads_and_refuses_past_its_queue() {
        let (release, gate) = channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let (started, starts) = channel::<String>();
        let (finished, finishes) = channel::<u32>();
        let pool = BoundedPool::new("test", 2, 3, move |job: u32| {
            let name = std::thread::current()
                .name()
                .unwrap_or_default()
                .to_string();
            started.send(name).unwrap();
            gate.lock().unwrap().recv().unwrap();
            finished.send(job).unwrap();
        });
        // Two jobs hold the two threads, three wait in the queue, a sixth is handed back.
        for job in 0..2 {
            assert!(pool.submit(job).is_ok());
        }
        for _ in 0..2 {
            let name = starts.recv_timeout(Duration::from_secs(5)).unwrap();
            assert!(name.starts_with("test-"), "{name}");
        }
        for job in 2..5 {
            assert!(pool.submit(job).is_ok(), "job {job} queued");
        }
        assert_eq!(pool.submit(5), Err(5), "a full queue hands the job back");
        for _ in 0..5 {
            release.send(()).unwrap();
        }
        let mut done: Vec<u32> = (0..5)
            .map(|_| finishes.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        done.sort();
        assert_eq!(done, vec![0, 1, 2, 3, 4]);
    }
}
