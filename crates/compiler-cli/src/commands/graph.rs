//! `runtara graph`: a picture of a workflow graph (crate runtara-draw).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use runtara_compiler::{load, Scenario};
use runtara_draw::{draw, Format};

use crate::error::{CliError, Result};

/// Draw a workflow graph: its steps (type, id, name), the edges of its plan with their
/// labels, Split/While bodies as nested clusters, EmbedWorkflow children as one box.
///
/// SVG needs no Graphviz; Mermaid renders in GitHub/GitLab READMEs; DOT is for Graphviz
/// (`dot -Tpng`). The graph is drawn as written: it need not be valid.
#[derive(clap::Args, Debug)]
pub struct Args {
    pub file: PathBuf,
    /// `svg` (default), `mermaid` or `dot`.
    #[arg(long, value_enum, default_value_t = PictureFormat::Svg)]
    pub format: PictureFormat,
    /// Write here (replaced only once the picture is complete) instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// `--format` of `graph`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Debug)]
pub enum PictureFormat {
    Svg,
    Mermaid,
    Dot,
}

/// Prints or writes the picture. Exit 0; 2 for an unreadable or unparsable file or an
/// unwritable output.
pub fn run(args: Args) -> Result<ExitCode> {
    let (_, workflow) = load(&Scenario::Path(args.file.clone()))?;
    let format = match args.format {
        PictureFormat::Svg => Format::Svg,
        PictureFormat::Mermaid => Format::Mermaid,
        PictureFormat::Dot => Format::Dot,
    };
    let stem = args.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let picture = draw(&workflow.graph, &stem, format);
    match &args.output {
        None => print!("{picture}"),
        Some(out) => {
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let cannot = |e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", out.display()));
            let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
            tmp.write_all(picture.as_bytes()).map_err(cannot)?;
            tmp.persist(out).map_err(|e| cannot(e.error))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
