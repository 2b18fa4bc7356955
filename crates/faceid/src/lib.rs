//! Portrait comparison (人像比对): is the person in two photos the same?
//!
//! YuNet finds the face and its five landmarks (eyes, nose tip, mouth corners); a similarity
//! transform puts those landmarks on the 112×112 template SFace was trained on; SFace turns the
//! aligned face into a 128-number embedding, L2-normalised; two embeddings are compared by
//! their cosine similarity. Both networks are OpenCV Zoo's, taken from a PyPI wheel and
//! committed under `models/` (see `models/PROVENANCE.md`), and run in tract. The decision
//! (same / possibly same / different) is `photoroll_core::compare::verdict`'s; this crate only
//! measures.
//!
//! Load the models once ([`FaceMatcher::shared`]) and reuse them: loading and optimising both
//! takes a few hundred milliseconds, one photo then takes tens.

pub mod align;
pub mod yunet;

use align::{ALIGNED_SIZE, Similarity, TEMPLATE, estimate_similarity, warp_aligned};
use photoroll_imaging::decode::{DecodeError, DecodeLimits, decode};
use photoroll_imaging::detect::Point;
use photoroll_imaging::raster::RgbImage;
use std::sync::{Arc, OnceLock};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
pub use yunet::Face;

const SFACE_ONNX: &[u8] = include_bytes!("../../../models/face_recognition_sface_2021dec.onnx");
const YUNET_ONNX: &[u8] = include_bytes!("../../../models/face_detection_yunet_2023mar.onnx");

/// Names both models by their file and the first eight hex digits of their SHA-256 (a test
/// checks these against the embedded bytes). Store it with every comparison result and every
/// stored embedding: embeddings from different models cannot be compared.
pub const MODEL_VERSION: &str = "sface_2021dec:0ba9fbfa+yunet_2023mar:8f2383e4";

/// Length of an embedding.
pub const EMBEDDING_DIM: usize = 128;

/// The detector's square input side: a photo's longer side is shrunk or enlarged to it. A
/// portrait's face is then 60–200 px wide, well inside YuNet's range (about 10–300 px); a face
/// that came out small is looked at again (see [`REFINE_BELOW_EYES_PX`]).
/// (At 256 instead, the landmarks got coarse enough to cost the evaluation 0.1 of genuine score
/// on a profile and raise the highest impostor score from 0.27 to 0.29.)
pub const DETECT_SIZE: u32 = 320;

/// The longest side of the second look at a small face.
const REFINE_SIZE: u32 = 160;

/// Detector score needed to count as a face. OpenCV's default is 0.9; 0.7 keeps the faces of
/// small, soft admission photos (their scores drop to 0.8) while the no-face test images (a
/// cat's face, a coffee cup) stay far below it (≤ 0.05).
pub const MIN_FACE_SCORE: f32 = 0.7;

/// OpenCV's `FaceDetectorYN` default.
pub const NMS_IOU: f32 = 0.3;

/// When the eyes are closer than this in the detector's input, the landmarks are too coarse
/// for a good alignment: the face is cut out at a larger scale and detected again.
pub const REFINE_BELOW_EYES_PX: f32 = 40.0;

/// Decoded photos are kept at least this large on their shorter side (JPEG DCT scaling makes
/// big captures cheap to decode): the face stays larger than SFace's 112 pixels.
const DECODE_MIN_SHORT_SIDE: u32 = 480;

#[derive(Debug, thiserror::Error)]
pub enum FaceIdError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// No face was found: an outcome of its own, never a verdict.
    #[error("照片中未找到人脸")]
    NoFace,
    #[error("人脸比对模型无法加载：{0}")]
    Model(String),
    #[error("人脸比对模型运行失败：{0}")]
    Inference(String),
}

impl FaceIdError {
    pub fn is_no_face(&self) -> bool {
        matches!(self, FaceIdError::NoFace)
    }
}

/// A face's SFace embedding, L2-normalised (unit length), so that the cosine similarity of two
/// is their dot product.
#[derive(Clone, PartialEq)]
pub struct Embedding([f32; EMBEDDING_DIM]);

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedding([{:.4}, {:.4}, …])", self.0[0], self.0[1])
    }
}

impl Embedding {
    /// Normalises `raw` to unit length; `None` for a zero, short or non-finite vector.
    pub fn from_raw(raw: &[f32]) -> Option<Embedding> {
        if raw.len() != EMBEDDING_DIM || raw.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm <= f32::EPSILON {
            return None;
        }
        let mut values = [0f32; EMBEDDING_DIM];
        for (v, r) in values.iter_mut().zip(raw) {
            *v = r / norm;
        }
        Some(Embedding(values))
    }

    pub fn values(&self) -> &[f32; EMBEDDING_DIM] {
        &self.0
    }

    /// 512 bytes, little-endian `f32`s: how an embedding is stored beside its photo.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// The inverse of [`Embedding::to_le_bytes`] (normalised again, so a stored vector that
    /// drifted is still unit length).
    pub fn from_le_bytes(bytes: &[u8]) -> Option<Embedding> {
        if bytes.len() != EMBEDDING_DIM * 4 {
            return None;
        }
        let raw: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Embedding::from_raw(&raw)
    }

    /// Cosine similarity, in [-1, 1]: 1 for the same direction.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        let dot: f32 = self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum();
        dot.clamp(-1.0, 1.0)
    }
}

/// Cosine similarity of two embeddings (the score a verdict is given from).
pub fn compare(a: &Embedding, b: &Embedding) -> f32 {
    a.cosine(b)
}

/// One photo's face: where it is and what it looks like to SFace.
#[derive(Clone, Debug)]
pub struct FaceEmbedding {
    /// The face compared (the largest found), in the decoded photo's pixels.
    pub face: Face,
    /// How many faces the detector found.
    pub faces_found: usize,
    pub embedding: Embedding,
    /// The decoded photo's size (big JPEGs are decoded at 1/2, 1/4 or 1/8).
    pub decoded_width: u32,
    pub decoded_height: u32,
}

type Plan = TypedRunnableModel;

struct Models {
    /// YuNet with its recorded shapes dropped, to be optimised for each input size it meets.
    yunet: InferenceModel,
    /// YuNet optimised per input size (width, height), made on first use (the two squares are
    /// made at load).
    yunet_plans: std::sync::Mutex<std::collections::HashMap<(u32, u32), Arc<Plan>>>,
    sface: Arc<Plan>,
}

impl Models {
    fn yunet_plan(&self, width: u32, height: u32) -> Result<Arc<Plan>, FaceIdError> {
        let mut plans = self
            .yunet_plans
            .lock()
            .map_err(|_| inference_err("YuNet 计划缓存损坏"))?;
        if let Some(plan) = plans.get(&(width, height)) {
            return Ok(plan.clone());
        }
        let shape = [1, 3, height as usize, width as usize];
        let plan = self
            .yunet
            .clone()
            .with_input_fact(0, f32::fact(shape).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(model_err)?;
        plans.insert((width, height), plan.clone());
        Ok(plan)
    }
}

/// The loaded models. Cheap to clone (the plans are shared) and usable from several threads.
#[derive(Clone)]
pub struct FaceMatcher {
    models: Arc<Models>,
}

impl std::fmt::Debug for FaceMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaceMatcher({MODEL_VERSION})")
    }
}

fn model_err(e: impl std::fmt::Debug) -> FaceIdError {
    FaceIdError::Model(format!("{e:?}"))
}

fn inference_err(e: impl std::fmt::Display) -> FaceIdError {
    FaceIdError::Inference(e.to_string())
}

/// Rewrites every `PRelu(x, slope)` as `Relu(x) + slope · (x − Relu(x))`. The values are the
/// same to the bit (for x > 0: x + slope·0; otherwise 0 + slope·x), but tract runs PRelu as a
/// compare, a broadcast multiply and a select, and the rewrite as fused element-wise chains:
/// SFace (27 PRelus) runs in 31 ms a face instead of 50 (one core of this 2-core VM, idle).
fn rewrite_prelu(proto: &mut tract_onnx::pb::ModelProto) {
    let Some(graph) = proto.graph.as_mut() else {
        return;
    };
    let node = |op: &str, name: String, input: Vec<String>| tract_onnx::pb::NodeProto {
        op_type: op.into(),
        output: vec![name.clone()],
        name,
        input,
        ..Default::default()
    };
    let mut nodes = Vec::with_capacity(graph.node.len() * 2);
    for n in graph.node.drain(..) {
        if n.op_type != "PRelu" || n.input.len() != 2 || n.output.len() != 1 {
            nodes.push(n);
            continue;
        }
        let (x, slope) = (n.input[0].clone(), n.input[1].clone());
        let part = |s: &str| format!("{}__prelu_{s}", n.name);
        nodes.push(node("Relu", part("pos"), vec![x.clone()]));
        nodes.push(node("Sub", part("neg"), vec![x, part("pos")]));
        nodes.push(node("Mul", part("scaled"), vec![part("neg"), slope]));
        let mut add = node("Add", part("sum"), vec![part("pos"), part("scaled")]);
        add.output = n.output;
        nodes.push(add);
    }
    graph.node = nodes;
}

fn read_model(bytes: &[u8]) -> Result<InferenceModel, FaceIdError> {
    let onnx = tract_onnx::onnx();
    let mut proto = onnx
        .proto_model_for_read(&mut std::io::Cursor::new(bytes))
        .map_err(model_err)?;
    rewrite_prelu(&mut proto);
    let mut model = onnx.model_for_proto_model(&proto).map_err(model_err)?;
    // YuNet's file records every intermediate shape for a 640×640 input; other sizes have other
    // shapes, so everything but the constants is inferred again from the input.
    for node in 0..model.nodes.len() {
        for slot in 0..model.nodes[node].outputs.len() {
            let outlet = OutletId::new(node, slot);
            if model
                .outlet_fact(outlet)
                .map_err(model_err)?
                .value
                .concretize()
                .is_none()
            {
                model
                    .set_outlet_fact(outlet, InferenceFact::default())
                    .map_err(model_err)?;
            }
        }
    }
    Ok(model)
}

impl FaceMatcher {
    /// Loads and optimises both models (a few hundred milliseconds). Prefer
    /// [`FaceMatcher::shared`], which does this once per process.
    pub fn load() -> Result<FaceMatcher, FaceIdError> {
        let s = ALIGNED_SIZE as usize;
        let sface = read_model(SFACE_ONNX)?
            .with_input_fact(0, f32::fact([1, 3, s, s]).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(model_err)?;
        let models = Models {
            yunet: read_model(YUNET_ONNX)?,
            yunet_plans: Default::default(),
            sface,
        };
        for side in [DETECT_SIZE, REFINE_SIZE] {
            models.yunet_plan(side, side)?;
        }
        Ok(FaceMatcher {
            models: Arc::new(models),
        })
    }

    /// The process's one matcher, loaded on first use.
    pub fn shared() -> Result<FaceMatcher, FaceIdError> {
        static SHARED: OnceLock<Result<FaceMatcher, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| FaceMatcher::load().map_err(|e| e.to_string()))
            .clone()
            .map_err(FaceIdError::Model)
    }

    /// The embedding of the (largest) face in a JPEG or PNG photo.
    pub fn embed(&self, bytes: &[u8]) -> Result<Embedding, FaceIdError> {
        Ok(self.embed_photo(bytes)?.embedding)
    }

    /// As [`FaceMatcher::embed`], with the face found.
    pub fn embed_photo(&self, bytes: &[u8]) -> Result<FaceEmbedding, FaceIdError> {
        let decoded = decode(bytes, DECODE_MIN_SHORT_SIDE, &DecodeLimits::default())?;
        self.embed_image(&decoded.image)
    }

    /// The embedding of the largest face in an upright RGB image.
    pub fn embed_image(&self, image: &RgbImage) -> Result<FaceEmbedding, FaceIdError> {
        let faces = self.detect(image)?;
        let faces_found = faces.len();
        let face = *faces.first().ok_or(FaceIdError::NoFace)?;
        let face = self.refine(image, &face)?;
        let aligned = align_face(image, &face).ok_or(FaceIdError::NoFace)?;
        let embedding = self.embed_aligned(&aligned)?;
        Ok(FaceEmbedding {
            face,
            faces_found,
            embedding,
            decoded_width: image.width,
            decoded_height: image.height,
        })
    }

    /// Every face scoring at least [`MIN_FACE_SCORE`], largest first, in `image`'s pixels.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, FaceIdError> {
        let mut faces = self.run_yunet(image, DETECT_SIZE)?;
        faces.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
        Ok(faces)
    }

    /// A second look at a face that was small in the detector's input: a square around it,
    /// cut from the photo at a scale where the eyes are about 40 % of the square apart, is
    /// detected again and the face nearest the middle replaces the first one. Faces that were
    /// already large, or that the second look does not find, are returned unchanged.
    fn refine(&self, image: &RgbImage, face: &Face) -> Result<Face, FaceIdError> {
        let place = yunet::Placement::fit(image.width, image.height, DETECT_SIZE);
        // Also for a photo that was enlarged: YuNet places landmarks better on a larger face
        // (the evaluation's near-profile admission photos: lowest score 0.76 with, 0.53 without).
        if face.eye_distance() * place.scale >= REFINE_BELOW_EYES_PX {
            return Ok(*face);
        }
        let c = face.bbox.centre();
        let side = (face.bbox.w.max(face.bbox.h) * 2.0).max(16.0);
        let (x0, y0) = ((c.x - side / 2.0).floor(), (c.y - side / 2.0).floor());
        let n = side.ceil() as u32;
        let mut crop = RgbImage::new(n, n);
        for y in 0..n {
            let sy = y0 as i64 + y as i64;
            if sy < 0 || sy >= image.height as i64 {
                continue;
            }
            for x in 0..n {
                let sx = x0 as i64 + x as i64;
                if sx >= 0 && sx < image.width as i64 {
                    crop.put(x, y, image.pixel(sx as u32, sy as u32));
                }
            }
        }
        let found = self.run_yunet(&crop, REFINE_SIZE)?;
        let mid = Point {
            x: n as f32 / 2.0,
            y: n as f32 / 2.0,
        };
        let best = found
            .into_iter()
            .filter(|f| {
                let fc = f.bbox.centre();
                (fc.x - mid.x).abs() < side / 4.0 && (fc.y - mid.y).abs() < side / 4.0
            })
            .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()));
        Ok(match best {
            Some(f) => f.map(|p| Point {
                x: p.x + x0,
                y: p.y + y0,
            }),
            None => *face,
        })
    }

    /// YuNet on `image`, shrunk to at most `max_side` if larger; faces in `image`'s pixels.
    fn run_yunet(&self, image: &RgbImage, max_side: u32) -> Result<Vec<Face>, FaceIdError> {
        let place = yunet::Placement::fit(image.width, image.height, max_side);
        let plan = self
            .models
            .yunet_plan(place.input_width, place.input_height)?;
        let data = yunet::input_tensor(image, &place);
        let shape = [
            1,
            3,
            place.input_height as usize,
            place.input_width as usize,
        ];
        let input = Tensor::from_shape(&shape, &data).map_err(inference_err)?;
        let out = plan.run(tvec!(input.into())).map_err(inference_err)?;
        decode_yunet(&out, &place, image)
    }

    /// SFace on a 112×112 aligned face.
    pub fn embed_aligned(&self, aligned: &RgbImage) -> Result<Embedding, FaceIdError> {
        if (aligned.width, aligned.height) != (ALIGNED_SIZE, ALIGNED_SIZE) {
            return Err(FaceIdError::Inference(format!(
                "对齐后的人脸应为 112×112，收到 {}×{}",
                aligned.width, aligned.height
            )));
        }
        let plane = (ALIGNED_SIZE * ALIGNED_SIZE) as usize;
        let mut data = vec![0f32; 3 * plane];
        // RGB, 0–255: OpenCV feeds its BGR crop with swapRB; the model subtracts 127.5 and
        // multiplies by 1/128 itself.
        for (i, px) in aligned.data.chunks_exact(3).enumerate() {
            data[i] = px[0] as f32;
            data[plane + i] = px[1] as f32;
            data[2 * plane + i] = px[2] as f32;
        }
        let s = ALIGNED_SIZE as usize;
        let input = Tensor::from_shape(&[1, 3, s, s], &data).map_err(inference_err)?;
        let out = self
            .models
            .sface
            .run(tvec!(input.into()))
            .map_err(inference_err)?;
        let raw = out
            .first()
            .ok_or_else(|| inference_err("SFace 没有输出"))?
            .to_plain_array_view::<f32>()
            .map_err(inference_err)?
            .iter()
            .copied()
            .collect::<Vec<f32>>();
        Embedding::from_raw(&raw).ok_or_else(|| inference_err("SFace 输出无效"))
    }
}

/// The similarity transform from the photo to SFace's crop for `face`, and the crop.
pub fn align_face(image: &RgbImage, face: &Face) -> Option<RgbImage> {
    let to_crop: Similarity = estimate_similarity(&face.landmarks, &TEMPLATE)?;
    warp_aligned(image, &to_crop)
}

/// Faces in `outputs` (YuNet's twelve tensors for an input placed by `place`), in `image`'s
/// pixels.
fn decode_yunet(
    out: &[TValue],
    place: &yunet::Placement,
    image: &RgbImage,
) -> Result<Vec<Face>, FaceIdError> {
    // Outputs in the model's order: cls ×3, obj ×3, bbox ×3, kps ×3 (strides 8, 16, 32).
    if out.len() != 12 {
        return Err(inference_err(format!(
            "YuNet 输出 {} 个张量，应为 12",
            out.len()
        )));
    }
    let values: Vec<Vec<f32>> = out
        .iter()
        .map(|t| {
            t.to_plain_array_view::<f32>()
                .map(|a| a.iter().copied().collect())
        })
        .collect::<Result<_, _>>()
        .map_err(inference_err)?;
    let slices: Vec<&[f32]> = values.iter().map(|v| v.as_slice()).collect();
    let mut faces = Vec::new();
    for (k, &stride) in yunet::STRIDES.iter().enumerate() {
        let outputs = yunet::StrideOutputs {
            stride,
            cls: slices[k],
            obj: slices[3 + k],
            bbox: slices[6 + k],
            kps: slices[9 + k],
        };
        faces.extend(yunet::decode_stride(
            &outputs,
            place.input_width,
            place.input_height,
            MIN_FACE_SCORE,
        ));
    }
    let faces = yunet::nms(faces, NMS_IOU);
    Ok(faces
        .into_iter()
        .filter(|f| {
            // A face whose centre lies in the black padding is not in the photo.
            let c = f.bbox.centre();
            c.x < place.width as f32 && c.y < place.height as f32
        })
        .map(|f| f.map(|p| place.to_photo(p, image.width, image.height)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_unit_length_and_round_trip_through_bytes() {
        let raw: Vec<f32> = (0..128).map(|i| (i as f32 - 60.0) * 0.1).collect();
        let e = Embedding::from_raw(&raw).unwrap();
        let norm: f32 = e.values().iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        let back = Embedding::from_le_bytes(&e.to_le_bytes()).unwrap();
        assert!((compare(&e, &back) - 1.0).abs() < 1e-6);
        assert!(Embedding::from_raw(&[0.0; 128]).is_none());
        assert!(Embedding::from_raw(&[1.0; 127]).is_none());
        assert!(Embedding::from_le_bytes(&[0; 12]).is_none());
    }

    #[test]
    fn cosine_of_opposite_and_orthogonal_vectors() {
        let mut a = [0f32; 128];
        a[0] = 3.0;
        let mut b = [0f32; 128];
        b[1] = 2.0;
        let neg: Vec<f32> = a.iter().map(|v| -v).collect();
        let (a, b, n) = (
            Embedding::from_raw(&a).unwrap(),
            Embedding::from_raw(&b).unwrap(),
            Embedding::from_raw(&neg).unwrap(),
        );
        assert!(compare(&a, &b).abs() < 1e-6);
        assert!((compare(&a, &n) + 1.0).abs() < 1e-6);
        assert!((compare(&a, &a) - 1.0).abs() < 1e-6);
    }
}
