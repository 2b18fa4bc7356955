//! Finding a CJK font on the system and choosing the Simplified Chinese face in it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::MetadataProvider;
use skrifa::raw::{FileRef, FontRef, TableProvider};
use skrifa::string::StringId;

use crate::MandateError;

/// Characters every face must have: a face without them is not a Chinese face at all (a Japanese
/// or Latin font picked by mistake), and the mandate would print tofu boxes.
const PROBE: [char; 3] = ['委', '托', '书'];

/// The env variable that names the font file (`path` or `path#index`), before any search.
pub(crate) const ENV_VAR: &str = "PHOTOROLL_CJK_FONT";

/// Known CJK font files, best first (lowercase). Serif (宋体) first: a mandate is a formal
/// document, and that is what printed ones use.
const KNOWN: [&str; 20] = [
    "notoserifcjk-regular.ttc",
    "notosanscjk-regular.ttc",
    "notoserifcjksc-regular.otf",
    "notosanscjksc-regular.otf",
    "sourcehanserifsc-regular.otf",
    "sourcehansanssc-regular.otf",
    "notosanssc-regular.otf",
    "notoserifsc-regular.otf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "simsun.ttc",
    "simhei.ttf",
    "msyh.ttc",
    "msyh.ttf",
    "songti.ttc",
    "pingfang.ttc",
    "stheiti light.ttc",
    "stheiti medium.ttc",
    "hiragino sans gb.ttc",
    "hiragino sans gb w3.ttc",
];

/// One face of a CJK font file, read into memory.
#[derive(Clone)]
pub struct CjkFont {
    path: PathBuf,
    index: u32,
    family: String,
    data: Arc<Vec<u8>>,
    pdf_font: krilla::text::Font,
}

impl std::fmt::Debug for CjkFont {
    // Not derived: the data is the whole font file, megabytes of bytes in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CjkFont")
            .field("path", &self.path)
            .field("index", &self.index)
            .field("family", &self.family)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl CjkFont {
    /// The font named by `PHOTOROLL_CJK_FONT` (`path` or `path#index`), otherwise the best known
    /// CJK font in the system font folders. A font named by the env variable that cannot be used
    /// is an error, not a reason to quietly print with another one.
    pub fn find() -> Result<CjkFont, MandateError> {
        if let Some(value) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
            let value = PathBuf::from(value);
            let (path, index) = split_index(&value);
            return CjkFont::from_path(&path, index);
        }
        let roots = font_roots();
        let mut found: Vec<(usize, PathBuf)> = Vec::new();
        for root in &roots {
            walk(root, 0, &mut |path| {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_lowercase())
                    .unwrap_or_default();
                if let Some(rank) = KNOWN.iter().position(|k| *k == name) {
                    found.push((rank, path.to_path_buf()));
                }
            });
        }
        found.sort();
        // A known file name can still be a broken or foreign file: try the next one.
        found
            .iter()
            .find_map(|(_, path)| CjkFont::from_path(path, None).ok())
            .ok_or(MandateError::NoCjkFont { searched: roots })
    }

    /// Face `index` of the font file at `path`; with `None`, the Simplified Chinese face of a
    /// collection (the one whose name says "SC"), else its first face that has Chinese glyphs.
    pub fn from_path(path: &Path, index: Option<u32>) -> Result<CjkFont, MandateError> {
        let data = std::fs::read(path).map_err(|source| MandateError::FontRead {
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_font = |reason: String| MandateError::NotAFont {
            path: path.to_path_buf(),
            reason,
        };
        let file = FileRef::new(&data).map_err(|e| not_a_font(e.to_string()))?;
        let faces: Vec<FontRef<'_>> = match file {
            FileRef::Font(face) => vec![face],
            FileRef::Collection(collection) => collection
                .iter()
                .collect::<Result<_, _>>()
                .map_err(|e| not_a_font(e.to_string()))?,
        };
        let count = u32::try_from(faces.len()).unwrap_or(u32::MAX);
        let index = match index {
            Some(index) if index >= count => {
                return Err(MandateError::NoSuchFace {
                    path: path.to_path_buf(),
                    index,
                    count,
                });
            }
            Some(index) => index,
            None => pick_face(&faces).unwrap_or(0),
        };
        let face = faces
            .get(index as usize)
            .ok_or_else(|| not_a_font("no face".into()))?;
        // Parsing the tables the layout reads now, so a damaged file fails here and not mid-page.
        face.head().map_err(|e| not_a_font(format!("head: {e}")))?;
        face.hmtx().map_err(|e| not_a_font(format!("hmtx: {e}")))?;
        let family = family_names(face)
            .into_iter()
            .next()
            .unwrap_or_else(|| path.display().to_string());
        if let Some(&ch) = PROBE.iter().find(|&&ch| !has_glyph(face, ch)) {
            return Err(MandateError::MissingGlyph { font: family, ch });
        }
        let data = Arc::new(data);
        let pdf_font = krilla::text::Font::new(data.clone().into(), index)
            .ok_or_else(|| not_a_font("the PDF writer cannot read this face".into()))?;
        Ok(CjkFont {
            path: path.to_path_buf(),
            index,
            family,
            data,
            pdf_font,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The face's index in its file (0 for a single font).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The face's family name, e.g. "Noto Serif CJK SC".
    pub fn family(&self) -> &str {
        &self.family
    }

    pub(crate) fn face(&self) -> Result<FontRef<'_>, MandateError> {
        FontRef::from_index(&self.data, self.index).map_err(|e| MandateError::NotAFont {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    pub(crate) fn pdf_font(&self) -> krilla::text::Font {
        self.pdf_font.clone()
    }
}

/// `path#3` → (`path`, Some(3)); anything else is all path (a file name may contain '#').
fn split_index(value: &Path) -> (PathBuf, Option<u32>) {
    let text = value.to_string_lossy();
    if let Some((path, index)) = text.rsplit_once('#')
        && let Ok(index) = index.parse::<u32>()
    {
        return (PathBuf::from(path), Some(index));
    }
    (value.to_path_buf(), None)
}

/// The face to use in a collection: one whose family name has the word "SC" (Noto CJK, PingFang
/// and Source Han put JP, KR, SC, TC and HK faces in one file, and only SC has the Simplified
/// Chinese glyph forms), proportional before monospaced; without one, the first Chinese face.
fn pick_face(faces: &[FontRef<'_>]) -> Option<u32> {
    let score = |face: &FontRef<'_>| {
        let names = family_names(face);
        let words = |w: &str| {
            names.iter().any(|n| {
                n.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|x| x == w)
            })
        };
        let sc = words("SC") || words("GB");
        let mono = words("Mono");
        u8::from(sc) * 2 + u8::from(!mono)
    };
    faces
        .iter()
        .enumerate()
        .filter(|(_, face)| PROBE.iter().all(|&ch| has_glyph(face, ch)))
        // max_by_key keeps the last of equals: reverse so the lowest index wins a tie.
        .rev()
        .max_by_key(|(_, face)| score(face))
        .and_then(|(i, _)| u32::try_from(i).ok())
}

fn family_names(face: &FontRef<'_>) -> Vec<String> {
    [StringId::TYPOGRAPHIC_FAMILY_NAME, StringId::FAMILY_NAME]
        .into_iter()
        .flat_map(|id| {
            let strings = face.localized_strings(id);
            // English first: it is the one that says "SC", and the one worth printing in errors.
            let english = strings.clone().english_or_first().map(|s| s.to_string());
            english
                .into_iter()
                .chain(strings.map(|s| s.to_string()))
                .collect::<Vec<_>>()
        })
        .filter(|n| !n.trim().is_empty())
        .collect()
}

pub(crate) fn has_glyph(face: &FontRef<'_>, ch: char) -> bool {
    face.charmap().map(ch).is_some_and(|g| g.to_u32() != 0)
}

fn font_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = [
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        "/System/Library/Fonts",
        "/Library/Fonts",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        roots.push(home.join(".local/share/fonts"));
        roots.push(home.join(".fonts"));
        roots.push(home.join("Library/Fonts"));
    }
    if let Some(windir) = std::env::var_os("WINDIR").map(PathBuf::from) {
        roots.push(windir.join("Fonts"));
    } else if cfg!(windows) {
        roots.push(PathBuf::from(r"C:\Windows\Fonts"));
    }
    if let Some(local) = std::env::var_os("LOCALAPPDATA").map(PathBuf::from) {
        roots.push(local.join(r"Microsoft\Windows\Fonts"));
    }
    roots
}

/// Every file under `dir`. Symlinked folders are not followed and depth is bounded: a link loop in
/// a font folder must not hang printing.
fn walk(dir: &Path, depth: u32, visit: &mut dyn FnMut(&Path)) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, depth + 1, visit);
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            visit(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_value_may_carry_a_face_index() {
        assert_eq!(
            split_index(Path::new("/f/a.ttc#2")),
            (PathBuf::from("/f/a.ttc"), Some(2))
        );
        assert_eq!(
            split_index(Path::new("/f/a#b.ttf")),
            (PathBuf::from("/f/a#b.ttf"), None)
        );
        assert_eq!(
            split_index(Path::new("/f/a.ttf")),
            (PathBuf::from("/f/a.ttf"), None)
        );
    }
}
