//! The `photo://` protocol: stored photos by SHA-256 for `<img>`, for the review screen.
//! `photo://localhost/<sha256>` is the photo as stored; `?w=N` a JPEG at most N pixels wide
//! (thumbnails for the queue strip, a screen-sized copy of a large original), made once and
//! kept in memory. A name that is not 64 hex characters is refused: the path is never taken
//! from the request. Served by a small pool of threads, never on the window's thread. Print
//! sheet previews rendered for the 照片制作 screen are served the same way, by their hash.

use crate::frames::{BoundedPool, empty};
use crate::state::AppState;
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_imaging::raster::Filter;
use photoroll_store::is_blob_name;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tauri::http::{Request, Response};
use tauri::{AppHandle, Manager, UriSchemeResponder};

/// Two threads on a two-core laptop; a strip of thumbnails asks for a few dozen at once.
const THREADS: usize = 2;
const QUEUE: usize = 256;
/// Scaled copies kept: 2,000 thumbnails of ~6 KB, or fewer large ones (bounded by bytes too).
const CACHE_ENTRIES: usize = 2000;
const CACHE_BYTES: usize = 64 * 1024 * 1024;
const MIN_WIDTH: u32 = 16;
const MAX_WIDTH: u32 = 2048;

struct PhotoRequest {
    app: AppHandle,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
}

/// What a request asks for, parsed from its URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhotoAsk {
    pub hash: String,
    pub width: Option<u32>,
}

/// `/<sha256>` with an optional `w=N` (clamped to 16–2048); `None` when the name is not a
/// blob name.
pub(crate) fn parse_ask(path: &str, query: Option<&str>) -> Option<PhotoAsk> {
    let hash = path.trim_start_matches('/').to_ascii_lowercase();
    if !is_blob_name(&hash) {
        return None;
    }
    let width = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("w=")))
        .and_then(|v| v.parse::<u32>().ok())
        .map(|w| w.clamp(MIN_WIDTH, MAX_WIDTH));
    Some(PhotoAsk { hash, width })
}

/// Scaled copies by (hash, width), oldest out first.
#[derive(Default)]
pub(crate) struct ScaledCache {
    map: HashMap<(String, u32), Arc<Vec<u8>>>,
    order: VecDeque<(String, u32)>,
    bytes: usize,
}

impl ScaledCache {
    pub(crate) fn get(&self, key: &(String, u32)) -> Option<Arc<Vec<u8>>> {
        self.map.get(key).cloned()
    }

    pub(crate) fn put(&mut self, key: (String, u32), jpeg: Arc<Vec<u8>>) {
        if self.map.contains_key(&key) {
            return;
        }
        self.bytes += jpeg.len();
        self.map.insert(key.clone(), jpeg);
        self.order.push_back(key);
        while self.map.len() > CACHE_ENTRIES || self.bytes > CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.map.remove(&old) {
                self.bytes -= gone.len();
            }
        }
    }
}

/// The pool serving `photo://`, with its cache of scaled copies.
pub struct PhotoPool(BoundedPool<PhotoRequest>);

impl PhotoPool {
    pub fn new() -> Self {
        let cache = Arc::new(Mutex::new(ScaledCache::default()));
        Self(BoundedPool::new(
            "photo",
            THREADS,
            QUEUE,
            move |job: PhotoRequest| {
                let response = serve(&job.app, &job.request, &cache);
                job.responder.respond(response);
            },
        ))
    }

    /// Queues a request; answers 503 at once when the queue is full.
    pub fn submit(&self, app: AppHandle, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
        let job = PhotoRequest {
            app,
            request,
            responder,
        };
        if let Err(job) = self.0.submit(job) {
            job.responder.respond(empty(503));
        }
    }
}

fn image(bytes: Vec<u8>) -> Response<Vec<u8>> {
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    };
    Response::builder()
        .status(200)
        .header("Access-Control-Allow-Origin", "*")
        // Named by their content: a photo never changes under its name.
        .header("Cache-Control", "public, max-age=31536000, immutable")
        .header("Content-Type", kind)
        .body(bytes)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

fn serve(
    app: &AppHandle,
    request: &Request<Vec<u8>>,
    cache: &Mutex<ScaledCache>,
) -> Response<Vec<u8>> {
    let Some(ask) = parse_ask(request.uri().path(), request.uri().query()) else {
        return empty(400);
    };
    let state = app.state::<AppState>();
    // A print sheet preview (照片制作) is asked for by its hash like a photo, from memory.
    if let Some(preview) = state.previews.get(&ask.hash) {
        return image(preview.as_ref().clone());
    }
    let Some(width) = ask.width else {
        return match state.store.blobs().get(&ask.hash) {
            Ok(bytes) => image(bytes),
            Err(_) => empty(404),
        };
    };
    let key = (ask.hash.clone(), width);
    if let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return image(hit.as_ref().clone());
    }
    let Ok(bytes) = state.store.blobs().get(&ask.hash) else {
        return empty(404);
    };
    match scaled(&bytes, width) {
        Ok(jpeg) => {
            let jpeg = Arc::new(jpeg);
            cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(key, jpeg.clone());
            image(jpeg.as_ref().clone())
        }
        Err(e) => {
            log::warn!("photo {}: {e}", &ask.hash[..12]);
            empty(422)
        }
    }
}

/// A JPEG of the photo at most `width` pixels wide (never enlarged), upright.
pub(crate) fn scaled(bytes: &[u8], width: u32) -> Result<Vec<u8>, String> {
    // Decoding at a scale whose short side still covers the width keeps large originals cheap.
    let decoded = decode(bytes, width, &DecodeLimits::default()).map_err(|e| e.to_string())?;
    let image = decoded.image;
    let k = (width as f32 / image.width as f32).min(1.0);
    let (w, h) = (
        ((image.width as f32 * k).round() as u32).max(1),
        ((image.height as f32 * k).round() as u32).max(1),
    );
    let small = if (w, h) == (image.width, image.height) {
        image
    } else {
        image.resized(w, h, Filter::Bilinear)
    };
    photoroll_imaging::encode::encode_at(&small, 82, 72).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn only_a_blob_name_is_asked_for() {
        assert_eq!(
            parse_ask(&format!("/{HASH}"), None),
            Some(PhotoAsk {
                hash: HASH.into(),
                width: None
            })
        );
        assert_eq!(
            parse_ask(&format!("/{}", HASH.to_uppercase()), Some("w=160")),
            Some(PhotoAsk {
                hash: HASH.into(),
                width: Some(160)
            })
        );
        assert_eq!(
            parse_ask(&format!("/{HASH}"), Some("w=99999"))
                .unwrap()
                .width,
            Some(MAX_WIDTH)
        );
        assert_eq!(
            parse_ask(&format!("/{HASH}"), Some("w=1")).unwrap().width,
            Some(MIN_WIDTH)
        );
        for bad in [
            "/../photoroll.db",
            "/%2e%2e/%2e%2e/etc/passwd",
            &format!("/ab/{HASH}"),
            &format!("/{}", &HASH[1..]),
            &format!("/{}g", &HASH[1..]),
            "/",
        ] {
            assert_eq!(parse_ask(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn the_cache_keeps_the_newest_within_its_bounds() {
        let mut cache = ScaledCache::default();
        for i in 0..(CACHE_ENTRIES + 5) {
            cache.put((format!("{i}"), 160), Arc::new(vec![0; 10]));
        }
        assert_eq!(cache.map.len(), CACHE_ENTRIES);
        assert!(cache.get(&("0".into(), 160)).is_none());
        assert!(
            cache
                .get(&(format!("{}", CACHE_ENTRIES + 4), 160))
                .is_some()
        );
        cache.put(("big".into(), 1280), Arc::new(vec![0; CACHE_BYTES]));
        assert!(cache.bytes <= CACHE_BYTES);
    }

    #[test]
    fn a_thumbnail_is_a_smaller_jpeg_and_never_enlarged() {
        let portrait = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/faces/portrait-obama.jpg"),
        )
        .unwrap();
        let thumb = scaled(&portrait, 160).unwrap();
        let facts = photoroll_imaging::encode::read_jpeg_facts(&thumb).unwrap();
        assert_eq!(facts.width, 160);
        let big = scaled(&thumb, 2048).unwrap();
        let facts = photoroll_imaging::encode::read_jpeg_facts(&big).unwrap();
        assert_eq!(facts.width, 160, "never enlarged");
        assert!(scaled(b"not an image", 160).is_err());
    }
}
