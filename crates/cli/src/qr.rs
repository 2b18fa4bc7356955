//! `photoroll qr scan`: every QR code in a still image, through the station's decoder.

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
}

pub fn run(cmd: QrCmd) -> Result<()> {
    match cmd {
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
