//! Prints each photo's face (box, landmarks, score), the time taken, and every pair's cosine.
//!
//!     cargo run --release -p photoroll-faceid --example inspect -- PHOTO…
use photoroll_faceid::{FaceMatcher, compare};
use std::time::Instant;

fn main() {
    let t = Instant::now();
    let m = FaceMatcher::shared().expect("models");
    println!("load {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let mut embs = Vec::new();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read");
        for _ in 0..2 {
            let t = Instant::now();
            let r = m.embed_photo(&bytes);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            match r {
                Ok(f) => {
                    println!(
                        "{path}: {ms:.1} ms decoded {}x{} faces {} score {:.3} box {:.0},{:.0},{:.0},{:.0} lm {:?}",
                        f.decoded_width,
                        f.decoded_height,
                        f.faces_found,
                        f.face.score,
                        f.face.bbox.x,
                        f.face.bbox.y,
                        f.face.bbox.w,
                        f.face.bbox.h,
                        f.face.landmarks.map(|p| (p.x.round(), p.y.round()))
                    );
                    embs.push((path.clone(), f.embedding));
                }
                Err(e) => println!("{path}: {ms:.1} ms {e}"),
            }
        }
    }
    embs.dedup_by(|a, b| a.0 == b.0);
    for i in 0..embs.len() {
        for j in i + 1..embs.len() {
            println!(
                "{:.3} {} {}",
                compare(&embs[i].1, &embs[j].1),
                embs[i].0,
                embs[j].0
            );
        }
    }
}
