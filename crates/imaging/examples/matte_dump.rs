//! Dumps the framed photo and its alpha for a look (not part of the tests).
use photoroll_imaging::Standardizer;
use photoroll_imaging::matte::{self, Segmenter};
use photoroll_imaging::spec::PhotoSpec;

fn main() {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let seg = Segmenter::load().unwrap();
    let framer = Standardizer::new(PhotoSpec {
        replace_background: false,
        ..PhotoSpec::default()
    })
    .unwrap();
    for name in std::env::args().skip(2) {
        let bytes = std::fs::read(format!("tests/fixtures/faces/{name}")).unwrap();
        let framed = framer.standardize(&bytes).image.unwrap();
        let coarse = seg.mask(&framed).unwrap();
        let alpha = matte::refine_alpha(&framed, &coarse);
        let (w, h) = (framed.width, framed.height);
        let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
        pgm.extend(alpha.iter().map(|a| (a * 255.0) as u8));
        std::fs::write(out.join(format!("{name}.alpha.pgm")), pgm).unwrap();
        let mut c = format!("P5\n{w} {h}\n255\n").into_bytes();
        c.extend(coarse.iter().map(|a| (a * 255.0) as u8));
        std::fs::write(out.join(format!("{name}.coarse.pgm")), c).unwrap();
        let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
        ppm.extend(&framed.data);
        std::fs::write(out.join(format!("{name}.ppm")), ppm).unwrap();
    }
}
