//! Sizes, paper, dpi, layouts and the packing search that places one student's set of prints.
//!
//! All geometry is in pixels at the chosen dpi (`px = round(mm / 25.4 * dpi)`). Margins from the
//! paper edge and gutters between photos are at least [`MARGIN_MM`] / [`GUTTER_MM`], rounded *up*
//! to whole pixels so that they never fall short of 2 mm.
//!
//! # The search
//! A set is a list of groups (size, count). One sheet is tried first: every group is split into
//! an upright part and a part rotated by 90° (any split, 0..=count), every part becomes a grid
//! *block* (as few rows as the paper's width allows when blocks are stacked top to bottom, as
//! few columns as its height allows when they stand side by side), and the blocks are stacked
//! on portrait or landscape paper. Among the arrangements that fit, the plan prefers: a label
//! strip, then fewer rotated photos, then portrait paper, then fewer blocks, then the smallest
//! footprint. When nothing fits on one sheet, each size goes onto sheets of its own, as many as
//! its capacity on one sheet needs, with the photos shared out evenly (8 on a paper that holds
//! 4 → 4 + 4). A "single size, as many as fit" layout fills one sheet with the largest count
//! for which an arrangement exists.
//!
//! # What each layout gives (2 mm margins and gutters; the same at 300 and 254 dpi)
//! | layout | 5寸 89×127 | 6寸 102×152 |
//! |---|---|---|
//! | 版式一 1寸×8 + 2寸×4 | 2 sheets: 1寸×8 (3 columns × 3 rows), 2寸×4 (2×2); labels on both | 2 sheets: 1寸×8 (3×3), 2寸×4 (2×2); labels on both |
//! | 版式二 2寸×8 | 2 sheets of 2寸×4 (2×2); labels | 2 sheets of 2寸×4 (2×2); labels |
//! | 1寸 only | 1 sheet, 1寸×9 (3×3); label | 1 sheet landscape, 1寸×13: a row of 5 upright, two rows of 4 turned; label |
//! | 2寸 only | 1 sheet, 2寸×4 (2×2); label | 1 sheet landscape, 2寸×6: a row of 4 upright, a row of 2 turned; label |
//!
//! (The spec's "6寸 holds 1寸×12 or 2寸×4" counts plain grids; mixing orientations fits more,
//! and every arrangement here can still be cut with straight cuts across the sheet: first
//! between the rows of blocks, then between photos.)
//!
//! Mixed packing of 版式一 on one sheet does not fit either paper: the twelve photos alone cover
//! 13,860 mm² of the 14,504 mm² inside a 6寸 sheet's margins, too little is left for the gutters
//! (the search tries it anyway, in both paper orientations and with turned photos). 版式二's
//! eight 2寸 go on two sheets of 4 even on 6寸 (which holds 6): the photos are shared out
//! evenly, and 4 fit upright in a 2×2 grid.

use std::fmt;

/// Millimetres per inch.
pub const MM_PER_INCH: f64 = 25.4;
/// The least distance between a photo and the paper's edge.
pub const MARGIN_MM: f64 = 2.0;
/// The least distance between two photos (the lab cuts between them).
pub const GUTTER_MM: f64 = 2.0;
/// The least free height under the set for a label strip.
pub const LABEL_MIN_MM: f64 = 5.0;
/// The label strip is never taller than this, however much room is left.
pub const LABEL_MAX_MM: f64 = 8.0;

/// A print size, portrait (width < height).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoSize {
    pub name: &'static str,
    pub width_mm: f64,
    pub height_mm: f64,
}

/// 1寸, 25 × 35 mm.
pub const ONE_INCH: PhotoSize = PhotoSize {
    name: "1寸",
    width_mm: 25.0,
    height_mm: 35.0,
};
/// 小二寸, 35 × 45 mm.
pub const SMALL_TWO_INCH: PhotoSize = PhotoSize {
    name: "小二寸",
    width_mm: 35.0,
    height_mm: 45.0,
};
/// 2寸, 35 × 49 mm.
pub const TWO_INCH: PhotoSize = PhotoSize {
    name: "2寸",
    width_mm: 35.0,
    height_mm: 49.0,
};

impl PhotoSize {
    /// Upright pixel size (width, height) at `dpi`.
    pub fn px(&self, dpi: Dpi) -> (u32, u32) {
        (dpi.px(self.width_mm), dpi.px(self.height_mm))
    }
}

/// Errors from parsing a layout id, a paper or a dpi.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("未知版式 (unknown layout): {0:?}；可选 1、2、1inch、2inch")]
    Layout(String),
    #[error("未知相纸 (unknown paper): {0:?}；可选 5寸、6寸")]
    Paper(String),
    #[error("不支持的分辨率 (unsupported dpi): {0}；可选 300 或 254")]
    Dpi(u32),
}

/// Photo paper, portrait dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paper {
    /// 5寸 (3R), 89 × 127 mm.
    Five,
    /// 6寸 (4R), 102 × 152 mm.
    Six,
}

impl Paper {
    pub const ALL: [Paper; 2] = [Paper::Five, Paper::Six];

    /// Portrait (width, height) in mm.
    pub fn mm(self) -> (f64, f64) {
        match self {
            Paper::Five => (89.0, 127.0),
            Paper::Six => (102.0, 152.0),
        }
    }

    /// Portrait (width, height) in px at `dpi`.
    pub fn px(self, dpi: Dpi) -> (u32, u32) {
        let (w, h) = self.mm();
        (dpi.px(w), dpi.px(h))
    }

    pub fn name(self) -> &'static str {
        match self {
            Paper::Five => "5寸",
            Paper::Six => "6寸",
        }
    }

    /// Accepts "5", "5寸", "3R", "6", "6寸", "4R".
    pub fn parse(s: &str) -> Result<Paper, ParseError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "5" | "5寸" | "3R" => Ok(Paper::Five),
            "6" | "6寸" | "4R" => Ok(Paper::Six),
            _ => Err(ParseError::Paper(s.to_string())),
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Print resolution: 300 dpi, or 254 dpi (10 px per mm) for the labs that want it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dpi {
    D300,
    D254,
}

impl Dpi {
    pub const ALL: [Dpi; 2] = [Dpi::D300, Dpi::D254];

    pub fn parse(value: u32) -> Result<Dpi, ParseError> {
        match value {
            300 => Ok(Dpi::D300),
            254 => Ok(Dpi::D254),
            other => Err(ParseError::Dpi(other)),
        }
    }

    pub fn value(self) -> u32 {
        match self {
            Dpi::D300 => 300,
            Dpi::D254 => 254,
        }
    }

    /// `round(mm / 25.4 * dpi)`.
    pub fn px(self, mm: f64) -> u32 {
        (mm / MM_PER_INCH * f64::from(self.value())).round() as u32
    }

    /// The fewest whole pixels that span at least `mm`.
    pub fn px_at_least(self, mm: f64) -> u32 {
        (mm / MM_PER_INCH * f64::from(self.value()) - 1e-9).ceil() as u32
    }

    /// Pixels to millimetres.
    pub fn mm(self, px: u32) -> f64 {
        f64::from(px) * MM_PER_INCH / f64::from(self.value())
    }
}

impl fmt::Display for Dpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} dpi", self.value())
    }
}

/// What one student's set of prints contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// 版式一: 1寸×8 + 2寸×4.
    One,
    /// 版式二: 2寸×8.
    Two,
    /// 1寸 only, as many as fit on one sheet.
    SingleOneInch,
    /// 2寸 only, as many as fit on one sheet.
    SingleTwoInch,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::One,
        Layout::Two,
        Layout::SingleOneInch,
        Layout::SingleTwoInch,
    ];

    /// The id used in settings and on the command line: "1", "2", "1inch", "2inch".
    pub fn id(self) -> &'static str {
        match self {
            Layout::One => "1",
            Layout::Two => "2",
            Layout::SingleOneInch => "1inch",
            Layout::SingleTwoInch => "2inch",
        }
    }

    /// Chinese display name.
    pub fn name(self) -> &'static str {
        match self {
            Layout::One => "版式一（1寸×8 + 2寸×4）",
            Layout::Two => "版式二（2寸×8）",
            Layout::SingleOneInch => "1寸（排满一张）",
            Layout::SingleTwoInch => "2寸（排满一张）",
        }
    }

    /// Parses an id ("1", "2", "1inch", "2inch"); "版式一"/"版式二" are accepted too.
    pub fn parse(s: &str) -> Result<Layout, ParseError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1" | "版式一" => Ok(Layout::One),
            "2" | "版式二" => Ok(Layout::Two),
            "1inch" | "1寸" => Ok(Layout::SingleOneInch),
            "2inch" | "2寸" => Ok(Layout::SingleTwoInch),
            _ => Err(ParseError::Layout(s.to_string())),
        }
    }

    /// The fixed contents of the set, or `None` for the "as many as fit" layouts.
    pub fn contents(self) -> Option<&'static [(&'static PhotoSize, u32)]> {
        match self {
            Layout::One => Some(&[(&ONE_INCH, 8), (&TWO_INCH, 4)]),
            Layout::Two => Some(&[(&TWO_INCH, 8)]),
            Layout::SingleOneInch | Layout::SingleTwoInch => None,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rectangle in sheet pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One photo on a sheet. `w`/`h` are its size on the sheet: for a rotated photo (turned 90°
/// clockwise, the top of the head to the right) `w` is the photo's height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub rotated: bool,
    pub size: &'static PhotoSize,
}

impl Placement {
    pub fn rect(&self) -> Rect {
        Rect {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

/// One sheet of paper: its pixel size (portrait or landscape), the photos and the label strip.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub width_px: u32,
    pub height_px: u32,
    pub placements: Vec<Placement>,
    /// Where the label (name, class) goes, or `None` when there is less than 5 mm free under
    /// the set.
    pub label: Option<Rect>,
}

impl Sheet {
    pub fn is_landscape(&self) -> bool {
        self.width_px > self.height_px
    }
}

/// How one student's set is printed: one or more sheets.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetPlan {
    pub layout: Layout,
    pub paper: Paper,
    pub dpi: Dpi,
    pub sheets: Vec<Sheet>,
}

impl SheetPlan {
    /// How many photos of `size` the set holds (all sheets).
    pub fn count_of(&self, size: &PhotoSize) -> usize {
        self.sheets
            .iter()
            .flat_map(|s| &s.placements)
            .filter(|p| p.size == size)
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{size} 照片放不进{paper}相纸 (a {size} photo does not fit on {paper} paper with 2 mm margins)"
    )]
    PhotoDoesNotFit {
        size: &'static str,
        paper: &'static str,
    },
    #[error("版式中没有照片 (the set has no photos)")]
    Empty,
}

/// Places one student's set of `layout` on `paper` at `dpi`. See the module docs for the search
/// and for what each layout gives.
pub fn plan(layout: Layout, paper: Paper, dpi: Dpi) -> Result<SheetPlan, PlanError> {
    let sheets = match layout.contents() {
        Some(groups) => plan_groups(groups, paper, dpi)?,
        None => {
            let size = if layout == Layout::SingleOneInch {
                &ONE_INCH
            } else {
                &TWO_INCH
            };
            let packer = Packer::new(paper, dpi);
            let (n, sheet) = packer.fill(size).ok_or(PlanError::PhotoDoesNotFit {
                size: size.name,
                paper: paper.name(),
            })?;
            debug_assert!(n > 0);
            vec![sheet]
        }
    };
    Ok(SheetPlan {
        layout,
        paper,
        dpi,
        sheets,
    })
}

/// Places any list of (size, count) groups: one sheet if they all fit, otherwise sheets per
/// size, each holding as many as fit, shared out evenly.
pub fn plan_groups(
    groups: &[(&'static PhotoSize, u32)],
    paper: Paper,
    dpi: Dpi,
) -> Result<Vec<Sheet>, PlanError> {
    let groups: Vec<(&'static PhotoSize, u32)> =
        groups.iter().copied().filter(|&(_, n)| n > 0).collect();
    if groups.is_empty() {
        return Err(PlanError::Empty);
    }
    let packer = Packer::new(paper, dpi);
    if let Some(sheet) = packer.one_sheet(&groups) {
        return Ok(vec![sheet]);
    }
    let mut sheets = Vec::new();
    for &(size, n) in &groups {
        let capacity = packer.capacity(size);
        if capacity == 0 {
            return Err(PlanError::PhotoDoesNotFit {
                size: size.name,
                paper: paper.name(),
            });
        }
        let count = n.div_ceil(capacity);
        for i in 0..count {
            // Even shares: the first `n % count` sheets take one more.
            let share = n / count + u32::from(i < n % count);
            let sheet = packer
                .one_sheet(&[(size, share)])
                .ok_or(PlanError::PhotoDoesNotFit {
                    size: size.name,
                    paper: paper.name(),
                })?;
            sheets.push(sheet);
        }
    }
    Ok(sheets)
}

/// A grid of one size in one orientation.
#[derive(Debug, Clone, Copy)]
struct Block {
    size: &'static PhotoSize,
    rotated: bool,
    count: u32,
    cols: u32,
    rows: u32,
    /// Cell (photo) size on the sheet.
    cell: (u32, u32),
}

impl Block {
    fn dims(&self, gutter: u32) -> (u32, u32) {
        (
            self.cols * self.cell.0 + (self.cols - 1) * gutter,
            self.rows * self.cell.1 + (self.rows - 1) * gutter,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stack {
    /// Blocks one under another.
    Down,
    /// Blocks side by side.
    Across,
}

/// One arrangement that fits, with what ranks it.
#[derive(Debug)]
struct Candidate {
    score: (bool, u32, bool, usize, u64),
    sheet: Sheet,
}

#[derive(Debug, Clone, Copy)]
struct Packer {
    dpi: Dpi,
    paper_px: (u32, u32),
    margin: u32,
    gutter: u32,
    label_min: u32,
    label_max: u32,
}

impl Packer {
    fn new(paper: Paper, dpi: Dpi) -> Packer {
        Packer {
            dpi,
            paper_px: paper.px(dpi),
            margin: dpi.px_at_least(MARGIN_MM),
            gutter: dpi.px_at_least(GUTTER_MM),
            label_min: dpi.px_at_least(LABEL_MIN_MM),
            label_max: dpi.px(LABEL_MAX_MM),
        }
    }

    /// The most photos of `size` one sheet holds.
    fn capacity(&self, size: &'static PhotoSize) -> u32 {
        self.fill(size).map_or(0, |(n, _)| n)
    }

    /// One sheet with as many photos of `size` as fit.
    fn fill(&self, size: &'static PhotoSize) -> Option<(u32, Sheet)> {
        let (w, h) = size.px(self.dpi);
        let (pw, ph) = self.paper_px;
        let inner = u64::from(pw.saturating_sub(2 * self.margin) + self.gutter)
            * u64::from(ph.saturating_sub(2 * self.margin) + self.gutter);
        let cell = u64::from(w + self.gutter) * u64::from(h + self.gutter);
        // An area bound: every photo takes its cell plus a gutter's strip.
        let bound = u32::try_from(inner / cell.max(1)).unwrap_or(u32::MAX);
        (1..=bound)
            .rev()
            .find_map(|n| self.one_sheet(&[(size, n)]).map(|s| (n, s)))
    }

    /// The best arrangement of all `groups` on one sheet, if any fits.
    fn one_sheet(&self, groups: &[(&'static PhotoSize, u32)]) -> Option<Sheet> {
        let mut best: Option<Candidate> = None;
        // Every split of every group into (upright, rotated) counts.
        let mut splits = vec![0u32; groups.len()];
        loop {
            let parts: Vec<(&'static PhotoSize, bool, u32)> = groups
                .iter()
                .zip(&splits)
                .flat_map(|(&(size, n), &rot)| [(size, false, n - rot), (size, true, rot)])
                .filter(|&(_, _, n)| n > 0)
                .collect();
            for landscape in [false, true] {
                for stack in [Stack::Down, Stack::Across] {
                    if let Some(c) = self.arrange(&parts, landscape, stack)
                        && best.as_ref().is_none_or(|b| c.score < b.score)
                    {
                        best = Some(c);
                    }
                }
            }
            // Next split (odometer).
            let mut i = 0;
            loop {
                if i == groups.len() {
                    return best.map(|c| c.sheet);
                }
                if splits[i] < groups[i].1 {
                    splits[i] += 1;
                    break;
                }
                splits[i] = 0;
                i += 1;
            }
        }
    }

    /// Grids for `parts` stacked `stack`-wise on the paper, if they fit.
    fn arrange(
        &self,
        parts: &[(&'static PhotoSize, bool, u32)],
        landscape: bool,
        stack: Stack,
    ) -> Option<Candidate> {
        let (pw, ph) = if landscape {
            (self.paper_px.1, self.paper_px.0)
        } else {
            self.paper_px
        };
        let g = self.gutter;
        let avail_w = pw.checked_sub(2 * self.margin)?;
        let avail_h = ph.checked_sub(2 * self.margin)?;
        let mut blocks = Vec::with_capacity(parts.len());
        for &(size, rotated, count) in parts {
            let (w, h) = size.px(self.dpi);
            let cell = if rotated { (h, w) } else { (w, h) };
            // How many fit along the limiting side.
            let fit = |avail: u32, len: u32| (avail + g) / (len + g);
            let (cols, rows) = match stack {
                Stack::Down => {
                    let cols = fit(avail_w, cell.0).min(count);
                    if cols == 0 {
                        return None;
                    }
                    let rows = count.div_ceil(cols);
                    (count.div_ceil(rows), rows)
                }
                Stack::Across => {
                    let rows = fit(avail_h, cell.1).min(count);
                    if rows == 0 {
                        return None;
                    }
                    let cols = count.div_ceil(rows);
                    (cols, count.div_ceil(cols))
                }
            };
            blocks.push(Block {
                size,
                rotated,
                count,
                cols,
                rows,
                cell,
            });
        }
        let dims: Vec<(u32, u32)> = blocks.iter().map(|b| b.dims(g)).collect();
        let gaps = (dims.len() as u32 - 1) * g;
        let (set_w, set_h) = match stack {
            Stack::Down => (
                dims.iter().map(|d| d.0).max()?,
                dims.iter().map(|d| d.1).sum::<u32>() + gaps,
            ),
            Stack::Across => (
                dims.iter().map(|d| d.0).sum::<u32>() + gaps,
                dims.iter().map(|d| d.1).max()?,
            ),
        };
        if set_w > avail_w || set_h > avail_h {
            return None;
        }
        // A label strip under the set when there is room for one.
        let free = (avail_h - set_h).saturating_sub(g);
        let label_h = (free >= self.label_min).then(|| free.min(self.label_max));
        let total_h = set_h + label_h.map_or(0, |h| g + h);
        let x0 = self.margin + (avail_w - set_w) / 2;
        let y0 = self.margin + (avail_h - total_h) / 2;

        let mut placements = Vec::new();
        let (mut bx, mut by) = (x0, y0);
        for (b, &(bw, bh)) in blocks.iter().zip(&dims) {
            // Blocks are centred across the stack.
            let (ox, oy) = match stack {
                Stack::Down => (bx + (set_w - bw) / 2, by),
                Stack::Across => (bx, by + (set_h - bh) / 2),
            };
            for i in 0..b.count {
                let (c, r) = (i % b.cols, i / b.cols);
                placements.push(Placement {
                    x: ox + c * (b.cell.0 + g),
                    y: oy + r * (b.cell.1 + g),
                    w: b.cell.0,
                    h: b.cell.1,
                    rotated: b.rotated,
                    size: b.size,
                });
            }
            match stack {
                Stack::Down => by += bh + g,
                Stack::Across => bx += bw + g,
            }
        }
        let label = label_h.map(|h| Rect {
            x: self.margin,
            y: y0 + set_h + g,
            w: avail_w,
            h,
        });
        let rotated: u32 = blocks.iter().filter(|b| b.rotated).map(|b| b.count).sum();
        Some(Candidate {
            score: (
                label.is_none(),
                rotated,
                landscape,
                blocks.len(),
                u64::from(set_w) * u64::from(set_h),
            ),
            sheet: Sheet {
                width_px: pw,
                height_px: ph,
                placements,
                label,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_sizes_match_the_spec_table() {
        assert_eq!(ONE_INCH.px(Dpi::D300), (295, 413));
        assert_eq!(SMALL_TWO_INCH.px(Dpi::D300), (413, 531));
        assert_eq!(TWO_INCH.px(Dpi::D300), (413, 579));
        assert_eq!(Paper::Five.px(Dpi::D300), (1051, 1500));
        assert_eq!(Paper::Six.px(Dpi::D300), (1205, 1795));
        assert_eq!(ONE_INCH.px(Dpi::D254), (250, 350));
        assert_eq!(Dpi::D254.px_at_least(2.0), 20);
        assert_eq!(Dpi::D300.px_at_least(2.0), 24);
    }

    #[test]
    fn capacities_match_the_spec() {
        for dpi in Dpi::ALL {
            let five = Packer::new(Paper::Five, dpi);
            let six = Packer::new(Paper::Six, dpi);
            assert_eq!(five.capacity(&ONE_INCH), 9, "{dpi}");
            assert_eq!(five.capacity(&TWO_INCH), 4, "{dpi}");
            // The spec's 12 and 4 are plain grids. On landscape paper a row of 5 upright 1寸
            // and two rows of 4 turned ones hold 13; a row of 4 upright 2寸 and a row of 2
            // turned ones hold 6.
            assert_eq!(six.capacity(&ONE_INCH), 13, "{dpi}");
            assert_eq!(six.capacity(&TWO_INCH), 6, "{dpi}");
        }
    }

    #[test]
    fn parse_ids() {
        for l in Layout::ALL {
            assert_eq!(Layout::parse(l.id()), Ok(l));
        }
        assert!(Layout::parse("3").is_err());
        assert_eq!(Dpi::parse(254), Ok(Dpi::D254));
        assert_eq!(Dpi::parse(600), Err(ParseError::Dpi(600)));
        assert_eq!(Paper::parse("6寸"), Ok(Paper::Six));
        assert_eq!(Paper::parse("3r"), Ok(Paper::Five));
    }
}
