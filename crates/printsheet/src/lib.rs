//! Print sheets (冲印): one student's set of prints (版式一 1寸×8 + 2寸×4, 版式二 2寸×8, or one
//! size as many as fit) placed on 5寸 or 6寸 photo paper at 300 or 254 dpi, with 1 px grey
//! cutting guides around each photo and a label strip (name, class) where the layout leaves
//! room, written as JPEG sheets with the dpi in their JFIF header — what a print lab prints
//! and cuts.
//!
//! [`plan`] places a set (pure geometry, see [`geometry`] for the search and what each layout
//! gives on each paper); [`render_sheets`] draws it with the student's standard photo.

pub mod font;
pub mod geometry;
pub mod render;

pub use font::{FONT_ENV, FontError, LabelFont};
pub use geometry::{
    Dpi, Layout, ONE_INCH, Paper, ParseError, PhotoSize, Placement, PlanError, Rect,
    SMALL_TWO_INCH, Sheet, SheetPlan, TWO_INCH, plan, plan_groups,
};
pub use render::{GUIDE_RGB, JPEG_QUALITY, LABEL_RGB, RenderError, render_sheets};
