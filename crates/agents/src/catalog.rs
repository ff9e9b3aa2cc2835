//! The capability catalogue: every built-in capability with its input fields (for the
//! validator, E023/E024) and what it needs from a target (the platform matrix, enforced by
//! codegen with a message naming the step, the capability and the target).

use runtara_protocol::FieldType;

/// One input field of a capability.
#[derive(Debug, Clone, Copy)]
pub struct FieldMeta {
    /// JSON name of the field.
    pub name: &'static str,
    pub required: bool,
    /// Checked against immediate values (E023); `None`: any type.
    pub ty: Option<FieldType>,
    /// Allowed values of a string field (E024); empty = any.
    pub allowed: &'static [&'static str],
}

impl FieldMeta {
    const fn of(self, ty: FieldType) -> Self {
        FieldMeta { ty: Some(ty), ..self }
    }
    const fn one_of(self, allowed: &'static [&'static str]) -> Self {
        FieldMeta { ty: Some(FieldType::String), allowed, ..self }
    }
}

/// Catalogue entry of one capability.
#[derive(Debug, Clone, Copy)]
pub struct CapabilityMeta {
    /// Agent id, kebab-case (`utils`).
    pub agent: &'static str,
    /// Capability id (`return-input`).
    pub id: &'static str,
    pub inputs: &'static [FieldMeta],
    /// Uses retry defaults 5 / 2000 ms (dsl-spec §7.2).
    pub rate_limited: bool,
    /// Needs a hosted target (a clock, randomness, or a library that needs std); not on
    /// firmware.
    pub needs_std: bool,
    /// Uses the network: native, wasm32-wasip2 and the browser (not firmware, wasm32-wasip1).
    pub needs_network: bool,
    /// Uses the workspace directory: native, wasm32-wasip2 and wasm32-wasip1 (a preopen);
    /// browsers, Workers and firmware have no file system.
    pub needs_filesystem: bool,
    /// Native artifacts only (sftp: raw TCP and an SSH stack).
    pub native_only: bool,
    /// Needs a connection: the step must set `connectionId` or `connectionRef` (E026).
    pub needs_connection: bool,
}

impl CapabilityMeta {
    const fn hosted(self) -> Self {
        CapabilityMeta { needs_std: true, ..self }
    }
    const fn network(self) -> Self {
        CapabilityMeta { needs_network: true, ..self.hosted() }
    }
    const fn filesystem(self) -> Self {
        CapabilityMeta { needs_filesystem: true, ..self.hosted() }
    }
    const fn native(self) -> Self {
        CapabilityMeta { native_only: true, ..self.network() }
    }
    const fn connection(self) -> Self {
        CapabilityMeta { needs_connection: true, ..self }
    }
}

const fn req(name: &'static str) -> FieldMeta {
    FieldMeta { name, required: true, ty: None, allowed: &[] }
}
const fn opt(name: &'static str) -> FieldMeta {
    FieldMeta { name, required: false, ty: None, allowed: &[] }
}
use FieldType::{Array as A, Boolean as B, Integer as I, Object as O, String as S};
const fn cap(agent: &'static str, id: &'static str, inputs: &'static [FieldMeta]) -> CapabilityMeta {
    CapabilityMeta {
        agent,
        id,
        inputs,
        rate_limited: false,
        needs_std: false,
        needs_network: false,
        needs_filesystem: false,
        native_only: false,
        needs_connection: false,
    }
}

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Output formats of the `crypto` capabilities.
const FORMATS: &[&str] = &["hex", "base64"];
const TEXT: &[FieldMeta] = &[opt("text").of(S)];
const PATTERN: FieldMeta = opt("pattern").of(S);
const CASE_INSENSITIVE: FieldMeta = opt("case_insensitive").of(B);
const CASES: &[&str] = &[
    "lowercase",
    "uppercase",
    "titlecase",
    "sentencecase",
    "camelcase",
    "pascalcase",
    "snakecase",
    "kebabcase",
    "lower",
    "upper",
    "title",
    "sentence",
    "camel",
    "pascal",
    "snake",
    "kebab",
];
/// The dialect fields of the `csv` capabilities: delimiter, quote_char, escape_char,
/// use_header, encoding.
const CSV_DIALECT: [FieldMeta; 5] = [
    opt("delimiter").of(S),
    opt("quote_char").of(S),
    opt("escape_char").of(S),
    opt("use_header").of(B),
    opt("encoding").of(S),
];
const DATE: FieldMeta = opt("date").of(S);
const TIMEZONE: FieldMeta = opt("timezone").of(S);
const UNIT: FieldMeta = opt("unit").one_of(&[
    "years",
    "quarters",
    "months",
    "weeks",
    "days",
    "businessDays",
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
]);
const PARTS: &[&str] =
    &["year", "quarter", "month", "week", "day", "dayOfWeek", "dayOfYear", "hour", "minute", "second", "millisecond"];
const ARCHIVE_FORMAT: FieldMeta = opt("format").one_of(&["zip"]);
const PATH: FieldMeta = req("path").of(S);

/// Every built-in capability (agents.md §5.3: `utils`, `transform`, `text`, `csv`, `xml`,
/// `xlsx`, `crypto`, `datetime`, `compression`, `file`, `sftp` and `http`, and the forwarded
/// `object-model` and `mcp` capabilities).
pub static CATALOG: &[CapabilityMeta] = &[
    cap("utils", "return-input", &[req("value")]),
    cap("utils", "return-input-string", &[req("value")]),
    cap("utils", "do-nothing", &[]),
    cap("utils", "random-double", &[]).hosted(),
    cap("utils", "random-array", &[opt("size").of(I)]).hosted(),
    cap(
        "utils",
        "calculate",
        &[req("expression").of(S), opt("variables").of(O), opt("enable_rounding").of(B), opt("decimal_places").of(I)],
    ),
    cap("utils", "get-current-iso-datetime", &[]).hosted(),
    cap("utils", "get-current-unix-timestamp", &[]).hosted(),
    cap("utils", "get-current-formatted-datetime", &[req("format").of(S)]).hosted(),
    cap("utils", "delay-in-ms", &[req("delay_value").of(I)]).hosted(),
    cap("utils", "format-date-from-iso", &[req("iso_date").of(S), req("target_format").of(S)]),
    cap("utils", "iso-to-unix-timestamp", &[req("iso_date").of(S)]),
    cap(
        "utils",
        "country-name-to-iso-code",
        &[req("country_name").of(S), opt("code_type").one_of(&["alpha2", "alpha3", "numeric"])],
    )
    .hosted(),
    cap("transform", "extract", &[req("value"), req("property_path").of(S)]),
    cap("transform", "get-value-by-path", &[opt("value"), opt("property_path")]),
    cap("transform", "set-value-by-path", &[opt("target"), opt("property_path"), opt("value")]),
    cap("transform", "select-first", &[opt("value")]),
    cap(
        "transform",
        "coalesce",
        &[req("values").of(A), opt("treat_empty_string_as_null").of(B), opt("treat_zero_as_null").of(B)],
    ),
    cap("transform", "from-json-string", &[opt("value")]),
    cap("transform", "to-json-string", &[opt("value")]),
    cap("transform", "map-fields", &[req("source_data"), req("mappings").of(O)]),
    cap("transform", "group-by", &[req("value"), req("key").of(S), opt("as_map").of(B)]),
    cap("transform", "append", &[opt("array"), opt("item")]),
    cap("transform", "flat-map", &[opt("value"), opt("property_path")]),
    cap("transform", "array-length", &[opt("value")]),
    cap("transform", "ensure-array", &[opt("value")]),
    cap("transform", "sort", &[opt("value"), opt("property_path").of(S), opt("ascending").of(B)]),
    cap(
        "transform",
        "filter-non-values",
        &[
            req("value"),
            opt("property_path"),
            opt("filter_empty_strings"),
            opt("filter_null_values"),
            opt("filter_blank_strings"),
            opt("filter_zero_values"),
        ],
    ),
    cap("transform", "filter", &[opt("value"), req("property_path"), req("match_values"), opt("match_condition")]),
    // text (agents.md §5.3): pure string work, every target; templates and similarity need std.
    cap("text", "render-template", &[opt("text").of(S), opt("context").of(O)]).hosted(),
    cap("text", "trim-normalize", TEXT),
    cap("text", "case-conversion", &[opt("text").of(S), opt("format").one_of(CASES)]),
    cap("text", "find-replace", &[opt("text").of(S), opt("pattern").of(S), opt("replacement").of(S)]),
    cap("text", "extract-first-line", TEXT),
    cap("text", "extract-first-word", TEXT),
    cap("text", "split-join", &[opt("text").of(S), opt("delimiter").of(S), opt("join_delimiter").of(S)]),
    cap("text", "split", &[opt("text").of(S), opt("delimiter").of(S)]),
    cap("text", "remove-characters", &[opt("text").of(S), opt("pattern").of(S)]),
    cap("text", "substring-extraction", &[opt("text").of(S), opt("start_delimiter").of(S), opt("end_delimiter").of(S)]),
    cap(
        "text",
        "collapse-expand-lines",
        &[opt("text").of(S), opt("mode").one_of(&["collapse", "expand"]), opt("separator").of(S)],
    ),
    cap("text", "slugify", &[opt("text").of(S), opt("separator").of(S)]),
    cap("text", "hash-text", TEXT),
    cap("text", "as-byte-array", &[opt("text").of(S), opt("encoding").of(S)]),
    cap("text", "from-base64", &[req("data"), opt("encoding").of(S)]),
    cap("text", "to-base64", &[req("data"), opt("filename").of(S), opt("mimeType").of(S)]),
    cap(
        "text",
        "regex-replace",
        &[opt("text").of(S), PATTERN, opt("replacement").of(S), opt("global").of(B), CASE_INSENSITIVE],
    ),
    cap(
        "text",
        "regex-match",
        &[opt("text").of(S), PATTERN, opt("capture_group").of(I), opt("all_matches").of(B), CASE_INSENSITIVE],
    ),
    cap("text", "regex-test", &[opt("text").of(S), PATTERN, CASE_INSENSITIVE]),
    cap("text", "regex-split", &[opt("text").of(S), PATTERN, opt("limit").of(I), CASE_INSENSITIVE]),
    cap(
        "text",
        "pad-text",
        &[
            opt("text").of(S),
            opt("length").of(I),
            opt("pad_char").of(S),
            opt("direction").one_of(&["left", "right", "both"]),
        ],
    ),
    cap(
        "text",
        "truncate-text",
        &[opt("text").of(S), opt("max_length").of(I), opt("suffix").of(S), opt("word_boundary").of(B)],
    ),
    cap("text", "wrap-text", &[opt("text").of(S), opt("width").of(I), opt("preserve_newlines").of(B)]),
    cap("text", "extract-numbers", &[opt("text").of(S), opt("include_decimals").of(B), opt("include_negative").of(B)]),
    cap("text", "extract-emails", TEXT),
    cap("text", "extract-urls", TEXT),
    cap(
        "text",
        "compare-text",
        &[
            opt("text_a").of(S),
            opt("text_b").of(S),
            opt("mode").one_of(&["levenshtein", "jaro_winkler", "sorensen_dice", "ngram", "exact"]),
            opt("ngram_n").of(I),
        ],
    )
    .hosted(),
    cap(
        "text",
        "count-occurrences",
        &[opt("text").of(S), opt("pattern").of(S), opt("use_regex").of(B), CASE_INSENSITIVE],
    ),
    cap("text", "detect-encoding", &[req("data"), opt("tld_hint").of(S), opt("allow_utf8").of(B)]),
    // csv and xml: csv-core and roxmltree, every target.
    cap(
        "csv",
        "from-csv",
        &[
            req("data"),
            CSV_DIALECT[0],
            CSV_DIALECT[1],
            CSV_DIALECT[2],
            CSV_DIALECT[3],
            CSV_DIALECT[4],
            opt("skip_empty_lines").of(B),
            opt("trim_whitespace").of(B),
        ],
    ),
    cap(
        "csv",
        "to-csv",
        &[req("value").of(A), CSV_DIALECT[0], CSV_DIALECT[1], CSV_DIALECT[2], CSV_DIALECT[3], CSV_DIALECT[4]],
    ),
    cap("csv", "get-header", &[req("data"), CSV_DIALECT[0], CSV_DIALECT[1], CSV_DIALECT[2], CSV_DIALECT[3]]),
    cap(
        "xml",
        "from-xml",
        &[
            req("data"),
            opt("encoding").of(S),
            opt("preserve_text").of(B),
            opt("include_attributes").of(B),
            opt("trim_text").of(B),
        ],
    ),
    // xlsx: calamine, hosted targets.
    cap(
        "xlsx",
        "from-xlsx",
        &[req("data"), opt("sheet").of(S), opt("has_headers").of(B), opt("skip_empty_rows").of(B)],
    )
    .hosted(),
    cap("xlsx", "get-sheets", &[req("data")]).hosted(),
    cap(
        "crypto",
        "hash",
        &[
            req("data"),
            opt("algorithm").one_of(&["sha256", "sha512", "sha1", "md5"]),
            opt("output_format").one_of(FORMATS),
        ],
    ),
    cap(
        "crypto",
        "hmac",
        &[
            req("data"),
            req("secret").of(S),
            opt("algorithm").one_of(&["hmac-sha256", "hmac-sha512"]),
            opt("output_format").one_of(FORMATS),
        ],
    ),
    // datetime: jiff (the IANA tz database bundled), every target; "now" needs a clock.
    cap("datetime", "get-current-date", &[opt("includeTime").of(B), TIMEZONE]).hosted(),
    cap("datetime", "format-date", &[DATE, opt("format").of(S), opt("customFormat").of(S), TIMEZONE]),
    cap("datetime", "add-to-date", &[DATE, opt("amount").of(I), UNIT, TIMEZONE]),
    cap("datetime", "subtract-from-date", &[DATE, opt("amount").of(I), UNIT, TIMEZONE]),
    cap("datetime", "get-time-between", &[opt("startDate").of(S), opt("endDate").of(S), UNIT]),
    cap("datetime", "extract-date-part", &[DATE, opt("part").one_of(PARTS), TIMEZONE]),
    cap("datetime", "round-date", &[DATE, UNIT, opt("mode").one_of(&["floor", "ceil", "round"]), TIMEZONE]),
    cap("datetime", "date-to-unix", &[DATE, opt("milliseconds").of(B)]),
    cap("datetime", "unix-to-date", &[opt("timestamp").of(I), opt("isMilliseconds").of(B), TIMEZONE]),
    // compression: zip (deflate), hosted targets.
    cap(
        "compression",
        "create-archive",
        &[req("files").of(A), ARCHIVE_FORMAT, opt("compressionLevel").of(I), opt("archiveName").of(S)],
    )
    .hosted(),
    cap("compression", "extract-archive", &[req("archive"), ARCHIVE_FORMAT]).hosted(),
    cap("compression", "extract-file", &[req("archive"), req("filePath").of(S), ARCHIVE_FORMAT]).hosted(),
    cap("compression", "list-archive", &[req("archive"), ARCHIVE_FORMAT]).hosted(),
    // file: the workspace directory (--workspace; a preopen on WASI).
    cap("file", "file-write-file", &[PATH, req("data"), opt("create_dirs").of(B), opt("overwrite").of(B)]).filesystem(),
    cap("file", "file-read-file", &[PATH, opt("response_format").one_of(&["text", "base64"])]).filesystem(),
    cap("file", "file-list-files", &[opt("path").of(S), opt("recursive").of(B), opt("pattern").of(S)]).filesystem(),
    cap("file", "file-delete-file", &[PATH, opt("recursive").of(B)]).filesystem(),
    cap("file", "file-file-exists", &[PATH]).filesystem(),
    cap("file", "file-copy-file", &[req("source").of(S), req("destination").of(S), opt("overwrite").of(B)])
        .filesystem(),
    cap("file", "file-move-file", &[req("source").of(S), req("destination").of(S), opt("overwrite").of(B)])
        .filesystem(),
    cap("file", "file-create-directory", &[PATH, opt("recursive").of(B)]).filesystem(),
    cap("file", "file-get-file-info", &[PATH]).filesystem(),
    cap("file", "file-append-file", &[PATH, req("data"), opt("create_if_missing").of(B), opt("newline").of(B)])
        .filesystem(),
    // sftp: russh over a connection {host, port?, username, password | privateKey}.
    cap("sftp", "sftp-list-files", &[PATH]).native().connection(),
    cap("sftp", "sftp-download-file", &[PATH, opt("response_format").one_of(&["text", "base64"])])
        .native()
        .connection(),
    cap("sftp", "sftp-upload-file", &[PATH, req("content"), opt("content_format").one_of(&["text", "base64"])])
        .native()
        .connection(),
    cap("sftp", "sftp-delete-file", &[PATH]).native().connection(),
    cap(
        "http",
        "http-request",
        &[
            req("url").of(S),
            opt("method").one_of(HTTP_METHODS),
            opt("headers").of(O),
            opt("query_parameters").of(O),
            opt("body"),
            opt("body_type").one_of(&["json", "text", "form"]),
            opt("response_type").one_of(&["json", "text"]),
            opt("timeout_ms").of(I),
            opt("fail_on_error").of(B),
        ],
    )
    .network(),
    cap("object-model", "load-memory", &[req("conversation_id")]).network(),
    cap("object-model", "save-memory", &[req("conversation_id"), req("messages")]).network(),
    cap("object-model", "create-instance", &[req("schema_name"), req("data")]).network(),
    cap(
        "object-model",
        "query-instances",
        &[req("schema_name"), opt("filters"), opt("condition"), opt("orderBy"), opt("limit"), opt("offset")],
    )
    .network(),
    cap("object-model", "check-instance-exists", &[req("schema_name"), req("filters")]).network(),
    cap("object-model", "update-instance", &[req("schema_name"), req("instance_id"), req("data")]).network(),
    cap("object-model", "delete-instance", &[req("schema_name"), req("instance_id")]).network(),
    cap("object-model", "query-sql", &[req("sql").of(S), opt("params").of(A), opt("resultSchema").of(O)])
        .network()
        .connection(),
    cap("object-model", "execute-sql", &[req("sql").of(S), opt("params").of(A)]).network().connection(),
    cap("mcp", "mcp-tool-search", &[opt("query").of(S), opt("limit").of(I)]).network(),
    cap("mcp", "mcp-tool-invoke", &[req("tool_name").of(S), opt("args").of(O)]).network(),
];

/// Finds a catalogue entry; `agent` is compared case-insensitively with `_` ≡ `-`.
pub fn find(agent: &str, capability: &str) -> Option<&'static CapabilityMeta> {
    CATALOG.iter().find(|c| {
        c.id == capability
            && c.agent.len() == agent.len()
            && c.agent.bytes().zip(agent.bytes()).all(|(a, b)| {
                let b = if b == b'_' { b'-' } else { b.to_ascii_lowercase() };
                a == b
            })
    })
}
