//! Renders one student's set: `cargo run -p photoroll-printsheet --example render_sheet --
//! PHOTO.jpg OUT_PREFIX [LAYOUT 1|2|1inch|2inch] [PAPER 5|6] [DPI 300|254] [LABEL]`
//! writes OUT_PREFIX-1.jpg, OUT_PREFIX-2.jpg, …

use photoroll_printsheet::{Dpi, LabelFont, Layout, Paper, plan, render_sheets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [photo, prefix, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: render_sheet PHOTO.jpg OUT_PREFIX [LAYOUT] [PAPER] [DPI] [LABEL]".into(),
        );
    };
    let layout = Layout::parse(rest.first().map_or("1", String::as_str))?;
    let paper = Paper::parse(rest.get(1).map_or("6", String::as_str))?;
    let dpi = Dpi::parse(rest.get(2).map_or(Ok(300), |s| s.parse())?)?;
    let label = rest.get(3).map_or("王小明  计算机2101班", String::as_str);
    let font = match LabelFont::system() {
        Ok(font) => Some(font),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    };
    let plan = plan(layout, paper, dpi)?;
    let sheets = render_sheets(&plan, &std::fs::read(photo)?, label, font.as_ref())?;
    for (i, jpeg) in sheets.iter().enumerate() {
        let path = format!("{prefix}-{}.jpg", i + 1);
        std::fs::write(&path, jpeg)?;
        println!("{path}: {} bytes", jpeg.len());
    }
    Ok(())
}
