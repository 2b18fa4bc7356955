//! How the window renders on Linux. WebKitGTK draws through EGL and DMA-BUF by default; on a
//! machine without a GPU that means Mesa's software GL (llvmpipe), which measured here took
//! 770 ms for the first frame after jumping to the end of 100,000 students and used 130 MB
//! more memory than drawing with the CPU (see `scripts/bench-desktop`). School laptops without
//! a usable GPU, virtual machines and Xvfb all take that path, so without a GPU render node the
//! app asks WebKit for CPU rendering. Variables the user sets win.

/// What WebKit is asked for when no GPU render node exists.
const CPU_RENDERING: [(&str, &str); 2] = [
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
];

/// True when `/dev/dri` holds a render node (`renderD128`…), i.e. a GPU the web view can use.
pub fn has_gpu_render_node(dri: &std::path::Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}

/// The variables to set: CPU rendering without a GPU, never over what the user already set.
pub fn rendering_overrides(
    has_gpu: bool,
    is_set: impl Fn(&str) -> bool,
) -> Vec<(&'static str, &'static str)> {
    if has_gpu {
        return Vec::new();
    }
    CPU_RENDERING
        .into_iter()
        .filter(|(name, _)| !is_set(name))
        .collect()
}

/// Applies [`rendering_overrides`] to this process. Call first thing in `main`, before any
/// thread exists: WebKit reads these when the web view starts.
#[allow(unsafe_code)]
pub fn choose_rendering() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let overrides = rendering_overrides(
        has_gpu_render_node(std::path::Path::new("/dev/dri")),
        |name| std::env::var_os(name).is_some(),
    );
    for (name, value) in overrides {
        // SAFETY: called from `main` before the app starts any thread, so nothing reads the
        // environment concurrently.
        unsafe { std::env::set_var(name, value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_gpu_both_variables_are_set() {
        let got = rendering_overrides(false, |_| false);
        assert_eq!(got, CPU_RENDERING.to_vec());
    }

    #[test]
    fn with_a_gpu_nothing_is_set() {
        assert!(rendering_overrides(true, |_| false).is_empty());
    }

    #[test]
    fn a_variable_the_user_set_is_left_alone() {
        let got = rendering_overrides(false, |name| name == "WEBKIT_DISABLE_DMABUF_RENDERER");
        assert_eq!(got, vec![("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]);
    }

    #[test]
    fn render_nodes_are_recognised_in_a_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_gpu_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(
            !has_gpu_render_node(dir.path()),
            "a card node alone cannot render off-screen"
        );
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_gpu_render_node(dir.path()));
        assert!(!has_gpu_render_node(&dir.path().join("missing")));
    }
}
