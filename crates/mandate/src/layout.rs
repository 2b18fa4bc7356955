//! The mandate's page: laid out first into drawing operations per page (so a page break is just
//! a new list), then written with krilla.
//!
//! Text is placed glyph by glyph from the font's own advances: the widths the line breaker
//! measures are exactly the ones drawn, and a character the font lacks is found while measuring,
//! before anything is written.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};
use skrifa::MetadataProvider;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::TableProvider;

use crate::{CjkFont, MandateDoc, MandateError};

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 72.0;
const RIGHT: f32 = PAGE_W - 72.0;
const TOP: f32 = 64.0;
const BOTTOM: f32 = PAGE_H - 60.0;

const BODY: f32 = 12.0;
const BODY_LEADING: f32 = 1.85;

/// Gray levels (0 black, 255 white).
const INK: u8 = 0;
const MUTED: u8 = 90;
const FAINT: u8 = 150;
const HEADER_FILL: u8 = 236;

/// May not start a line: it hangs at the end of the previous one instead.
const NO_LINE_START: &str = "，。、；：？！）》」』】”’…%,.;:?!)]";
/// May not end a line: it moves down to the next one with what it opens.
const NO_LINE_END: &str = "（《「『【“‘([";

/// The mandate as a one-page (more only for very long names) A4 PDF.
pub fn render(doc: &MandateDoc, font: &CjkFont) -> Result<Vec<u8>, MandateError> {
    validate(doc)?;
    let metrics = Metrics::new(font)?;
    let pages = lay_out(doc, &metrics)?;
    write_pdf(doc, font, &metrics, &pages)
}

fn validate(doc: &MandateDoc) -> Result<(), MandateError> {
    let invalid = |s: &str| Err(MandateError::InvalidDoc(s.to_string()));
    if doc.school_code.len() != 5 || !doc.school_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MandateError::InvalidDoc(format!(
            "院校代码须为 5 位数字，而不是“{}” (the school code must be 5 digits)",
            doc.school_code
        )));
    }
    for (value, what) in [
        (&doc.school_name, "院校名称为空 (the school name is empty)"),
        (&doc.provider, "受托方为空 (the provider is empty)"),
        (&doc.handler, "经办人为空 (the handler is empty)"),
        (
            &doc.mandate_no,
            "委托书编号为空 (the mandate number is empty)",
        ),
    ] {
        if value.trim().is_empty() {
            return invalid(what);
        }
    }
    if doc.categories.is_empty() {
        return invalid("没有学历类别 (no education category)");
    }
    for c in &doc.categories {
        if c.name.trim().is_empty() {
            return invalid("学历类别名称为空 (a category name is empty)");
        }
        let price_ok = c.price.split_once('.').is_some_and(|(yuan, fen)| {
            !yuan.is_empty()
                && yuan.bytes().all(|b| b.is_ascii_digit())
                && fen.len() == 2
                && fen.bytes().all(|b| b.is_ascii_digit())
        });
        if !price_ok {
            return Err(MandateError::InvalidDoc(format!(
                "“{}”的采集价格“{}”须为两位小数的金额，如 25.00 (the price must have two decimals, e.g. 25.00)",
                c.name, c.price
            )));
        }
    }
    if doc.years == 0 {
        return invalid("委托年限须至少 1 年 (the term must be at least one year)");
    }
    if doc.until <= doc.from {
        return Err(MandateError::InvalidDoc(format!(
            "委托截止日期 {} 不晚于起始日期 {} (the term ends before it starts)",
            doc.until, doc.from
        )));
    }
    Ok(())
}

fn cn_date(date: chrono::NaiveDate) -> String {
    date.format("%Y年%m月%d日").to_string()
}

/// A spreadsheet cell can carry a tab or line break: print it as a space, not as a missing glyph.
fn clean(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

struct Metrics<'a> {
    family: &'a str,
    charmap: Charmap<'a>,
    advances: GlyphMetrics<'a>,
    units_per_em: f32,
}

impl<'a> Metrics<'a> {
    fn new(font: &'a CjkFont) -> Result<Self, MandateError> {
        let face = font.face()?;
        let units_per_em = face
            .head()
            .map(|h| f32::from(h.units_per_em()))
            .ok()
            .filter(|u| *u > 0.0)
            .ok_or_else(|| MandateError::NotAFont {
                path: font.path().to_path_buf(),
                reason: "no units per em".into(),
            })?;
        Ok(Metrics {
            family: font.family(),
            charmap: face.charmap(),
            advances: face.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }

    /// The glyph and its advance in em.
    fn glyph(&self, ch: char) -> Result<(GlyphId, f32), MandateError> {
        let missing = || MandateError::MissingGlyph {
            font: self.family.to_string(),
            ch,
        };
        let gid = self
            .charmap
            .map(ch)
            .filter(|g| g.to_u32() != 0)
            .ok_or_else(missing)?;
        let advance = self.advances.advance_width(gid).ok_or_else(missing)?;
        Ok((GlyphId::new(gid.to_u32()), advance / self.units_per_em))
    }

    fn width(&self, text: &str, size: f32) -> Result<f32, MandateError> {
        text.chars()
            .try_fold(0.0, |w, ch| Ok(w + self.glyph(ch)?.1 * size))
    }

    /// Greedy line breaking into lines as wide as `width_of_line(index)`: Chinese breaks between any two characters, a run of Latin letters
    /// and digits (a provider's English name, a number) only at its ends, and the punctuation
    /// rules keep "，" off a line start and "（" off a line end.
    fn wrap(
        &self,
        text: &str,
        size: f32,
        width_of_line: impl Fn(usize) -> f32,
    ) -> Result<Vec<String>, MandateError> {
        let mut done: Vec<String> = Vec::new();
        let mut line: Vec<(String, f32)> = Vec::new();
        let mut used = 0.0;
        let flush = |done: &mut Vec<String>, line: &mut Vec<(String, f32)>| {
            let text: String = line.drain(..).map(|(t, _)| t).collect();
            let text = text.trim_end();
            if !text.is_empty() {
                done.push(text.to_string());
            }
        };
        for token in tokens(text) {
            let w = self.width(&token, size)?;
            let avail = width_of_line(done.len());
            if used + w <= avail + 0.01 {
                used += w;
                line.push((token, w));
                continue;
            }
            if token.trim().is_empty() {
                // A space at a break disappears.
                flush(&mut done, &mut line);
                used = 0.0;
                continue;
            }
            if !line.is_empty() && token.chars().all(|c| NO_LINE_START.contains(c)) {
                used += w;
                line.push((token, w));
                continue;
            }
            let carried = match line.last() {
                Some((last, _))
                    if line.len() > 1 && last.chars().all(|c| NO_LINE_END.contains(c)) =>
                {
                    line.pop()
                }
                _ => None,
            };
            flush(&mut done, &mut line);
            used = 0.0;
            if let Some((opener, ow)) = carried {
                used += ow;
                line.push((opener, ow));
            }
            if used + w <= width_of_line(done.len()) {
                used += w;
                line.push((token, w));
                continue;
            }
            // A Latin run longer than a whole line: break it anywhere rather than overflow.
            for ch in token.chars() {
                let cw = self.glyph(ch)?.1 * size;
                if used + cw > width_of_line(done.len()) && !line.is_empty() {
                    flush(&mut done, &mut line);
                    used = 0.0;
                }
                used += cw;
                line.push((ch.to_string(), cw));
            }
        }
        flush(&mut done, &mut line);
        Ok(done)
    }
}

/// Units that are not broken inside: runs of ASCII letters/digits (with the marks that join
/// them, as in "25.00" or "A-12"), and every other character on its own.
fn tokens(text: &str) -> Vec<String> {
    let joins = |c: char| c.is_ascii_alphanumeric() || "._-/@&'".contains(c);
    let mut out: Vec<String> = Vec::new();
    let mut in_word = false;
    for ch in text.chars() {
        let word_char = joins(ch);
        match out.last_mut() {
            Some(last) if in_word && word_char => last.push(ch),
            _ => out.push(ch.to_string()),
        }
        in_word = word_char;
    }
    out
}

#[derive(Debug, Clone)]
enum Op {
    /// `top` is the top of the em box; the baseline is derived from it.
    Text {
        x: f32,
        top: f32,
        size: f32,
        text: String,
        gray: u8,
        heavy: bool,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        gray: u8,
        dashed: bool,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<u8>,
        stroke: Option<f32>,
    },
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        gray: u8,
    },
}

struct Layout<'m, 'a> {
    m: &'m Metrics<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout<'_, '_> {
    fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Moves to a new page when `height` more does not fit on this one.
    fn keep(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    fn text(&mut self, x: f32, top: f32, size: f32, text: &str, gray: u8) {
        self.op(Op::Text {
            x,
            top,
            size,
            text: text.to_string(),
            gray,
            heavy: false,
        });
    }

    /// A paragraph at the cursor: `label` in front of the first line, continuation lines aligned
    /// under the text after the label (or indented by `indent` on the first line only).
    fn paragraph(
        &mut self,
        x: f32,
        width: f32,
        label: &str,
        label_width: f32,
        indent: f32,
        text: &str,
    ) -> Result<(), MandateError> {
        let lead = BODY * BODY_LEADING;
        let lines = self.m.wrap(text, BODY, |i| {
            width - label_width - if i == 0 { indent } else { 0.0 }
        })?;
        for (i, line) in lines.iter().enumerate() {
            self.keep(lead);
            let top = self.y + (lead - BODY) / 2.0;
            if i == 0 && !label.is_empty() {
                self.text(x, top, BODY, label, INK);
            }
            let indent = if i == 0 { indent } else { 0.0 };
            self.text(x + label_width + indent, top, BODY, line, INK);
            self.y += lead;
        }
        Ok(())
    }
}

fn lay_out(doc: &MandateDoc, m: &Metrics<'_>) -> Result<Vec<Vec<Op>>, MandateError> {
    let mut l = Layout {
        m,
        pages: vec![Vec::new()],
        y: TOP,
    };
    let width = RIGHT - LEFT;
    let school = clean(&doc.school_name);
    let provider = clean(&doc.provider);
    let handler = clean(&doc.handler);
    let number = clean(&doc.mandate_no);
    let categories: Vec<(String, String)> = doc
        .categories
        .iter()
        .map(|c| (clean(&c.name), clean(&c.price)))
        .collect();

    let no = format!("编号：{number}");
    let no_w = m.width(&no, 8.0)?;
    l.text(RIGHT - no_w, TOP - 30.0, 8.0, &no, MUTED);

    let title = "委托书";
    let title_size = 26.0;
    let title_w = m.width(title, title_size)?;
    l.op(Op::Text {
        x: (PAGE_W - title_w) / 2.0,
        top: l.y,
        size: title_size,
        text: title.into(),
        gray: INK,
        heavy: true,
    });
    l.y += title_size * 2.2;

    // The parties, their labels in one column so the names line up.
    let parties = [
        ("委托方（甲方）：", school.clone()),
        ("院校代码：", doc.school_code.clone()),
        ("受托方（乙方）：", provider.clone()),
    ];
    let label_w = parties
        .iter()
        .map(|(label, _)| m.width(label, BODY))
        .try_fold(0.0_f32, |a, w| w.map(|w| a.max(w)))?;
    for (label, value) in &parties {
        l.paragraph(LEFT, width, label, label_w, 0.0, value)?;
    }
    l.y += BODY;

    let names: Vec<&str> = categories.iter().map(|(n, _)| n.as_str()).collect();
    let body = format!(
        "甲方委托乙方为甲方{}毕业生提供毕业生图像采集服务，采集的图像用于学历证书电子注册。具体事项如下：",
        names.join("、")
    );
    l.paragraph(LEFT, width, "", 0.0, BODY * 2.0, &body)?;

    let term = format!("委托{}年，即日起至{}。", doc.years, cn_date(doc.until));
    let heading_w = m.width("一、", BODY)?;
    l.paragraph(
        LEFT,
        width,
        "一、",
        heading_w,
        0.0,
        &format!("采集委托年限：{term}"),
    )?;
    l.paragraph(
        LEFT,
        width,
        "二、",
        heading_w,
        0.0,
        "采集学历类别及采集价格：",
    )?;
    l.y += 4.0;
    table(&mut l, LEFT + heading_w, width - heading_w, &categories)?;
    l.y += 8.0;
    l.paragraph(
        LEFT,
        width,
        "三、",
        heading_w,
        0.0,
        &format!("经办人：{handler}"),
    )?;
    l.paragraph(LEFT, width, "四、", heading_w, 0.0, "双方约定：")?;
    let duties = [
        "乙方采集的毕业生图像仅用于学历证书电子注册，不得用于其他任何用途。",
        "乙方应依法保护毕业生的个人信息，未经甲方同意不得向任何第三方提供、泄露或出售。",
        "乙方通过经授权的渠道交付采集的图像及相关信息，不得经其他途径传送。",
    ];
    let mark_w = m.width("（1）", BODY)?;
    for (i, duty) in duties.iter().enumerate() {
        l.paragraph(
            LEFT + heading_w,
            width - heading_w,
            &format!("（{}）", i + 1),
            mark_w,
            0.0,
            duty,
        )?;
    }
    l.y += BODY * 1.5;

    signatures(&mut l, &school, &provider)?;

    let footer = format!("委托书编号：{number}　　出具日期：{}", cn_date(doc.from));
    let count = l.pages.len();
    for (i, page) in l.pages.iter_mut().enumerate() {
        page.push(Op::Text {
            x: LEFT,
            top: PAGE_H - 40.0,
            size: 8.0,
            text: footer.clone(),
            gray: MUTED,
            heavy: false,
        });
        let page_no = format!("第 {} 页，共 {count} 页", i + 1);
        let w = m.width(&page_no, 8.0)?;
        page.push(Op::Text {
            x: RIGHT - w,
            top: PAGE_H - 40.0,
            size: 8.0,
            text: page_no,
            gray: MUTED,
            heavy: false,
        });
    }
    Ok(l.pages)
}

/// 序号 | 学历类别 | 采集价格（元/人）, rows as tall as their wrapped category names.
fn table(
    l: &mut Layout<'_, '_>,
    x: f32,
    width: f32,
    rows: &[(String, String)],
) -> Result<(), MandateError> {
    let size = 11.0;
    let lead = size * 1.6;
    let pad = 6.0;
    let columns = [48.0, width - 48.0 - 150.0, 150.0];
    let header = ["序号", "学历类别", "采集价格（元/人）"];
    let mut all: Vec<[String; 3]> = vec![header.map(String::from)];
    for (i, (name, price)) in rows.iter().enumerate() {
        all.push([(i + 1).to_string(), name.clone(), price.clone()]);
    }
    for (r, row) in all.iter().enumerate() {
        let cells = row
            .iter()
            .zip(columns)
            .map(|(text, w)| l.m.wrap(text, size, |_| w - 2.0 * pad))
            .collect::<Result<Vec<_>, _>>()?;
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * lead + 2.0 * pad;
        l.keep(h);
        let top = l.y;
        l.op(Op::Rect {
            x,
            y: top,
            w: width,
            h,
            fill: (r == 0).then_some(HEADER_FILL),
            stroke: Some(0.8),
        });
        let mut cx = x;
        for (c, (cell, w)) in cells.iter().zip(columns).enumerate() {
            if c > 0 {
                l.op(Op::Line {
                    x1: cx,
                    y1: top,
                    x2: cx,
                    y2: top + h,
                    width: 0.8,
                    gray: INK,
                    dashed: false,
                });
            }
            // Centred: numbers and short names read best in the middle of their column.
            let block = cell.len() as f32 * lead;
            for (i, line) in cell.iter().enumerate() {
                let lw = l.m.width(line, size)?;
                let ty = top + (h - block) / 2.0 + i as f32 * lead + (lead - size) / 2.0;
                l.text(cx + (w - lw) / 2.0, ty, size, line, INK);
            }
            cx += w;
        }
        l.y += h;
    }
    Ok(())
}

/// Two boxes side by side, 委托方 and 受托方, each with its name, a place for the stamp, the
/// signature line and the date, drawn as tall as the taller of the two.
fn signatures(l: &mut Layout<'_, '_>, school: &str, provider: &str) -> Result<(), MandateError> {
    let gap = 20.0;
    let box_w = (RIGHT - LEFT - gap) / 2.0;
    let pad = 12.0;
    let size = 10.5;
    let lead = size * 1.7;
    let stamp_r = 34.0;
    let inner_w = box_w - 2.0 * pad;
    // Name lines beside the stamp circle stay left of it, so a stamp pressed there covers no
    // printed text; below the circle they use the whole box.
    let stamp_bottom = 2.0 * stamp_r + 6.0;
    let beside = |i: usize| (i as f32 + 1.0) * lead < stamp_bottom;
    let name_w = |i: usize| {
        if beside(i) {
            inner_w - 2.0 * stamp_r - 8.0
        } else {
            inner_w
        }
    };
    let parties = [("委托方（盖章）：", school), ("受托方（盖章）：", provider)];
    let wrapped = parties
        .iter()
        .map(|(_, name)| l.m.wrap(name, size, name_w))
        .collect::<Result<Vec<_>, _>>()?;
    let names_h = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead;
    let upper = (lead + names_h).max(stamp_bottom + 4.0);
    let sign_label_top = pad + upper + 10.0;
    let sign_line_y = sign_label_top + lead + 26.0;
    let date_top = sign_line_y + 12.0;
    let box_h = date_top + lead + pad;
    l.keep(box_h);
    let top = l.y;
    for (i, ((heading, _), names)) in parties.iter().zip(&wrapped).enumerate() {
        let x = LEFT + i as f32 * (box_w + gap);
        l.op(Op::Rect {
            x,
            y: top,
            w: box_w,
            h: box_h,
            fill: None,
            stroke: Some(0.8),
        });
        let inner = x + pad;
        let mut y = top + pad;
        l.text(inner, y, size, heading, INK);
        y += lead;
        for line in names {
            l.text(inner, y, size, line, INK);
            y += lead;
        }
        let cx = x + box_w - pad - stamp_r;
        let cy = top + pad + stamp_r + 2.0;
        l.op(Op::Circle {
            cx,
            cy,
            r: stamp_r,
            gray: FAINT,
        });
        let hint = "盖章处";
        let hint_w = l.m.width(hint, 8.0)?;
        l.text(cx - hint_w / 2.0, cy - 4.0, 8.0, hint, FAINT);
        l.text(
            inner,
            top + sign_label_top,
            size,
            "法定代表人或授权代表（签字）：",
            INK,
        );
        l.op(Op::Line {
            x1: inner,
            y1: top + sign_line_y,
            x2: x + box_w - pad,
            y2: top + sign_line_y,
            width: 0.6,
            gray: INK,
            dashed: false,
        });
        l.text(
            inner,
            top + date_top,
            size,
            "日期：　　　　年　　月　　日",
            INK,
        );
    }
    l.y += box_h;
    Ok(())
}

fn write_pdf(
    doc: &MandateDoc,
    font: &CjkFont,
    m: &Metrics<'_>,
    pages: &[Vec<Op>],
) -> Result<Vec<u8>, MandateError> {
    let mut document = krilla::Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("委托书 {}", clean(&doc.school_name)))
            .language("zh-CN".into())
            .creator("Photoroll".into()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| MandateError::Pdf("page size".into()))?;
    for ops in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, font, m, op)?;
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| MandateError::Pdf(format!("{e:?}")))
}

fn fill(gray: u8) -> Fill {
    Fill {
        paint: luma::Color::new(gray).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke(gray: u8, width: f32, dashed: bool) -> Stroke {
    Stroke {
        paint: luma::Color::new(gray).into(),
        width,
        dash: dashed.then(|| StrokeDash {
            array: vec![3.0, 2.5],
            offset: 0.0,
        }),
        ..Default::default()
    }
}

fn draw(
    surface: &mut Surface<'_>,
    font: &CjkFont,
    m: &Metrics<'_>,
    op: &Op,
) -> Result<(), MandateError> {
    let path_error = || MandateError::Pdf("empty path".into());
    match op {
        Op::Text {
            x,
            top,
            size,
            text,
            gray,
            heavy,
        } => {
            let glyphs = text
                .char_indices()
                .map(|(i, ch)| {
                    let (gid, advance) = m.glyph(ch)?;
                    Ok(KrillaGlyph::new(
                        gid,
                        advance,
                        0.0,
                        0.0,
                        0.0,
                        i..i + ch.len_utf8(),
                        None,
                    ))
                })
                .collect::<Result<Vec<_>, MandateError>>()?;
            surface.set_fill(Some(fill(*gray)));
            // No bold face is loaded: the title is thickened by stroking its outline too.
            surface.set_stroke(heavy.then(|| stroke(*gray, size * 0.025, false)));
            // CJK faces centre the ideograph in the em box with the baseline 0.88 em down.
            let baseline = top + size * 0.88;
            surface.draw_glyphs(
                Point::from_xy(*x, baseline),
                &glyphs,
                font.pdf_font(),
                text,
                *size,
                false,
            );
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            gray,
            dashed,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            surface.set_fill(None);
            surface.set_stroke(Some(stroke(*gray, *width, *dashed)));
            surface.draw_path(&pb.finish().ok_or_else(path_error)?);
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            fill: f,
            stroke: s,
        } => {
            let mut pb = PathBuilder::new();
            pb.push_rect(Rect::from_xywh(*x, *y, *w, *h).ok_or_else(path_error)?);
            surface.set_fill(f.map(fill));
            surface.set_stroke(s.map(|width| stroke(INK, width, false)));
            surface.draw_path(&pb.finish().ok_or_else(path_error)?);
        }
        Op::Circle { cx, cy, r, gray } => {
            // Four cubic arcs; 0.5523 puts their midpoints on the circle.
            let k = 0.5523 * r;
            let mut pb = PathBuilder::new();
            pb.move_to(cx + r, *cy);
            pb.cubic_to(cx + r, cy + k, cx + k, cy + r, *cx, cy + r);
            pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, *cy);
            pb.cubic_to(cx - r, cy - k, cx - k, cy - r, *cx, cy - r);
            pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, *cy);
            pb.close();
            surface.set_fill(None);
            surface.set_stroke(Some(stroke(*gray, 0.8, true)));
            surface.draw_path(&pb.finish().ok_or_else(path_error)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_runs_stay_whole_and_the_rest_splits_per_character() {
        assert_eq!(
            tokens("河北ABC-1 大学25.00元"),
            ["河", "北", "ABC-1", " ", "大", "学", "25.00", "元"]
        );
    }
}
