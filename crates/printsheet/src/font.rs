//! The label font: a system CJK font, found once and kept in memory.

use ab_glyph::{Font, FontVec};
use std::path::{Path, PathBuf};

/// The environment variable naming the label font: `path` or `path#index` (a face in a .ttc).
pub const FONT_ENV: &str = "PHOTOROLL_CJK_FONT";

/// Where CJK fonts usually are: Debian/Ubuntu, Fedora/Arch, macOS, Windows.
pub const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// In a collection without readable names, the face to use: Noto Sans CJK's order is
/// JP, KR, SC, TC, HK, so index 2 is Simplified Chinese.
const FALLBACK_INDEX: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("找不到中文字体，标签将省略 (no CJK font found, labels are left out); tried: {}", .tried.join(", "))]
    NotFound { tried: Vec<String> },
    #[error("字体文件无法读取 (the font file cannot be read): {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("字体文件无效 (not a usable font): {what}")]
    Invalid { what: String },
    #[error("字体不含中文字形 (the font has no Chinese glyphs): {what}")]
    NoCjk { what: String },
}

/// A font for the labels under the set.
pub struct LabelFont {
    pub(crate) font: FontVec,
    name: String,
    index: u32,
}

impl std::fmt::Debug for LabelFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelFont")
            .field("name", &self.name)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl LabelFont {
    /// The label font of this machine: `$PHOTOROLL_CJK_FONT` if set (an error there is
    /// returned, not skipped), otherwise the first of [`SYSTEM_FONTS`] that loads and has
    /// Chinese glyphs. On `Err` print without labels and tell the user why.
    pub fn system() -> Result<LabelFont, FontError> {
        if let Some(spec) = std::env::var_os(FONT_ENV).filter(|s| !s.is_empty()) {
            return LabelFont::from_spec(&spec.to_string_lossy());
        }
        let mut tried = Vec::new();
        for path in SYSTEM_FONTS {
            let path = Path::new(path);
            if !path.is_file() {
                tried.push(path.display().to_string());
                continue;
            }
            match LabelFont::from_path(path, None) {
                Ok(font) => return Ok(font),
                Err(e) => tried.push(format!("{} ({e})", path.display())),
            }
        }
        Err(FontError::NotFound { tried })
    }

    /// `path` or `path#index`.
    pub fn from_spec(spec: &str) -> Result<LabelFont, FontError> {
        match spec.rsplit_once('#') {
            Some((path, index)) if index.parse::<u32>().is_ok() => {
                LabelFont::from_path(Path::new(path), index.parse().ok())
            }
            _ => LabelFont::from_path(Path::new(spec), None),
        }
    }

    /// Loads a font file; for a collection with no `index`, the Simplified Chinese face.
    pub fn from_path(path: &Path, index: Option<u32>) -> Result<LabelFont, FontError> {
        let data = std::fs::read(path).map_err(|source| FontError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        LabelFont::from_bytes(data, index).map_err(|e| match e {
            FontError::Invalid { what } => FontError::Invalid {
                what: format!("{}: {what}", path.display()),
            },
            FontError::NoCjk { what } => FontError::NoCjk {
                what: format!("{}: {what}", path.display()),
            },
            other => other,
        })
    }

    /// A font from memory (.ttf, .otf or .ttc).
    pub fn from_bytes(data: Vec<u8>, index: Option<u32>) -> Result<LabelFont, FontError> {
        let index = match index {
            Some(i) => i,
            None => pick_face(&data),
        };
        let name = face_name(&data, index).unwrap_or_else(|| format!("face {index}"));
        let font =
            FontVec::try_from_vec_and_index(data, index).map_err(|e| FontError::Invalid {
                what: format!("face {index}: {e}"),
            })?;
        if font.glyph_id('王').0 == 0 || font.glyph_id('班').0 == 0 {
            return Err(FontError::NoCjk { what: name });
        }
        Ok(LabelFont { font, name, index })
    }

    /// The face's full name, e.g. "Noto Sans CJK SC".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The face's index in its collection (0 for a single font).
    pub fn index(&self) -> u32 {
        self.index
    }
}

/// The face of a collection to use: the first whose name says Simplified Chinese, else
/// [`FALLBACK_INDEX`] if the collection has that many faces, else 0.
fn pick_face(data: &[u8]) -> u32 {
    let Some(count) = ttf_parser::fonts_in_collection(data) else {
        return 0;
    };
    let simplified = (0..count).find(|&i| {
        face_name(data, i).is_some_and(|n| {
            n.split(|c: char| !c.is_alphanumeric())
                .any(|w| matches!(w, "SC" | "GB" | "CN" | "Hans"))
        })
    });
    simplified.unwrap_or(if count > FALLBACK_INDEX {
        FALLBACK_INDEX
    } else {
        0
    })
}

/// The full name (or family) of face `index`, where the name table has one in Unicode.
fn face_name(data: &[u8], index: u32) -> Option<String> {
    let face = ttf_parser::Face::parse(data, index).ok()?;
    let names = face.names();
    let find = |id: u16| {
        names
            .into_iter()
            .filter(|n| n.name_id == id && n.is_unicode())
            // English first: Noto also has the name in CJK languages.
            .min_by_key(|n| n.language_id != 0x0409)
            .and_then(|n| n.to_string())
    };
    find(ttf_parser::name_id::FULL_NAME).or_else(|| find(ttf_parser::name_id::FAMILY))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTO: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

    #[test]
    fn noto_collection_picks_the_sc_face() {
        let Ok(data) = std::fs::read(NOTO) else {
            eprintln!("skipped: {NOTO} is not installed");
            return;
        };
        let names: Vec<_> = (0..ttf_parser::fonts_in_collection(&data).unwrap_or(1))
            .map(|i| face_name(&data, i))
            .collect();
        eprintln!("faces: {names:?}");
        let index = pick_face(&data);
        assert_eq!(index, 2, "{names:?}");
        let font = LabelFont::from_bytes(data, None).unwrap();
        assert!(font.name().contains("SC"), "{}", font.name());
        let spec = LabelFont::from_spec(&format!("{NOTO}#3")).unwrap();
        assert_eq!(spec.index(), 3);
        assert!(spec.name().contains("TC"), "{}", spec.name());
    }

    #[test]
    fn bad_fonts_are_errors() {
        assert!(matches!(
            LabelFont::from_bytes(b"not a font".to_vec(), None),
            Err(FontError::Invalid { .. })
        ));
        assert!(matches!(
            LabelFont::from_spec("/nonexistent/font.ttc#1"),
            Err(FontError::Read { .. })
        ));
        let dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        if Path::new(dejavu).is_file() {
            assert!(matches!(
                LabelFont::from_path(Path::new(dejavu), None),
                Err(FontError::NoCjk { .. })
            ));
        }
    }
}
