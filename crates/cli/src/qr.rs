//! `photoroll qr scan`: every QR code in a still image, through the station's decoder.
//! `photoroll qr frame`: a camera frame with a code held up in it, for trying a station (and its
//! end-to-end test) without a phone.

use anyhow::{Context, Result};
use clap::Subcommand;
use photoroll_imaging::decode::{DecodeLimits, decode};
use photoroll_qr::{GreyImage, ScanOptions, scan};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum QrCmd {
    /// Print the raw payload of every QR code in IMAGE (JPEG or PNG), top to bottom then left to
    /// right. Exit 0 with an empty list when there is none; 2 when the image cannot be read.
    Scan {
        image: PathBuf,
        /// Print `{"codes": ["…", …]}`.
        #[arg(long)]
        json: bool,
    },
    /// Write a 1280×720 JPEG camera frame showing PAYLOAD as a QR code (as a phone held up to
    /// the station's camera), to put in a demo image folder.
    Frame {
        payload: String,
        #[arg(short, long)]
        output: PathBuf,
    },
}

pub fn run(cmd: QrCmd) -> Result<()> {
    match cmd {
        QrCmd::Frame { payload, output } => {
            let jpeg = match code_frame(&payload) {
                Ok(jpeg) => jpeg,
                Err(e) => return crate::refuse(format!("{e:#}")),
            };
            std::fs::write(&output, jpeg).with_context(|| format!("写入 {}", output.display()))?;
            Ok(())
        }
        QrCmd::Scan { image, json } => {
            let bytes =
                std::fs::read(&image).with_context(|| format!("读取 {}", image.display()))?;
            let decoded = match decode(&bytes, 0, &DecodeLimits::default()) {
                Ok(d) => d.image,
                Err(e) => return crate::refuse(format!("{}：{e}", image.display())),
            };
            let grey = GreyImage::from_rgb(
                decoded.width as usize,
                decoded.height as usize,
                &decoded.data,
            )
            .context("解码后的图像尺寸不符")?;
            let codes: Vec<String> = scan(&grey, ScanOptions::default())
                .into_iter()
                .map(|c| c.payload)
                .collect();
            if json {
                println!("{}", serde_json::json!({ "codes": codes }));
            } else if codes.is_empty() {
                println!("未找到二维码");
            } else {
                for code in codes {
                    println!("{code}");
                }
            }
            Ok(())
        }
    }
}

/// A 1280×720 JPEG frame with the code drawn 8 px a module in the middle.
fn code_frame(payload: &str) -> Result<Vec<u8>> {
    let grey = photoroll_qr::frame_with_code(payload, 1280, 720, 8)?;
    let rgb = grey.data.iter().flat_map(|&v| [v, v, v]).collect();
    let frame =
        photoroll_imaging::raster::RgbImage::from_raw(1280, 720, rgb).context("画面尺寸不符")?;
    Ok(photoroll_imaging::encode::encode_at(&frame, 90, 72)?)
}
