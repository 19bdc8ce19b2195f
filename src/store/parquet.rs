//! Parquet encoding of a dataset version: writer settings tuned for ingest speed (zstd, dictionary
//! encoding for string columns, large row groups, statistics on), the `desi_city.*` provenance
//! key-value metadata, and reading a file back into Arrow batches.
//!
//! Must not: choose file names or paths, rename or delete files (the store does that), or strip the
//! embedded Arrow schema (readers such as DuckDB and the API rely on it).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchReader};
use arrow::datatypes::{DataType, Schema};
use arrow::error::ArrowError;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use super::{Result, VersionMeta};

/// Prefix of the provenance keys in the file's key-value metadata.
pub const META_PREFIX: &str = "desi_city.";

/// Key under which the Arrow writer embeds the Arrow schema (left out of [`read_metadata`]).
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

/// Rows per row group: large enough for good compression and fast writes, small enough that
/// DuckDB can scan a multi-million-row dataset on several threads.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

/// Rows the column writers take at a time (the default, 1024, costs ~10% in per-call overhead).
const WRITE_BATCH_ROWS: usize = 8 * 1024;

/// Rows per batch when reading a file back.
const READ_BATCH_ROWS: usize = 64 * 1024;

/// What writing a file produced, measured on the bytes as they went to disk.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Written {
    pub(super) rows: u64,
    pub(super) bytes: u64,
    pub(super) sha256: String,
}

/// The `desi_city.*` key-value metadata of one version (`upstream_updated` is written empty when
/// unknown; `etag` and `last_modified` only when known).
pub(super) fn key_values(
    dataset: &str,
    version: &str,
    meta: &VersionMeta,
    rows: u64,
) -> Result<Vec<KeyValue>> {
    let pairs = [
        ("dataset", dataset.to_owned()),
        ("version", version.to_owned()),
        ("source_url", meta.source_url.clone()),
        ("fetched_at", meta.fetched_at.to_rfc3339()),
        (
            "upstream_updated",
            meta.upstream_updated.clone().unwrap_or_default(),
        ),
        ("sha256", meta.sha256.clone()),
        ("rows", rows.to_string()),
        ("parser_version", meta.parser_version.clone()),
        ("format", meta.format.clone()),
        ("licence", meta.licence.clone()),
        ("attribution", meta.attribution.clone()),
        ("dimensions", serde_json::to_string(&meta.dimensions)?),
    ];
    let optional = [
        ("etag", meta.etag.clone()),
        ("last_modified", meta.last_modified.clone()),
    ];
    Ok(pairs
        .into_iter()
        .chain(
            optional
                .into_iter()
                .filter_map(|(key, value)| value.map(|value| (key, value))),
        )
        .map(|(key, value)| KeyValue::new(format!("{META_PREFIX}{key}"), value))
        .collect())
}

/// The writer settings for a file with this schema.
pub(super) fn writer_properties(schema: &Schema, key_values: Vec<KeyValue>) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_write_batch_size(WRITE_BATCH_ROWS)
        .set_dictionary_enabled(false)
        .set_key_value_metadata(Some(key_values));
    for field in schema.fields() {
        if is_dictionary_friendly(field.data_type()) {
            builder = builder
                .set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), true);
        }
    }
    builder.build()
}

/// String-like columns (dimension codes, flags) repeat a few values over many rows; numbers are
/// mostly distinct and the dictionary would only cost time before falling back.
fn is_dictionary_friendly(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Dictionary(_, _)
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

/// Writes `batches` (at least one; all with the first one's schema) as one Parquet file into
/// `file`, then `sync_all`s it.
pub(super) fn write(
    file: &File,
    batches: &[RecordBatch],
    key_values: Vec<KeyValue>,
) -> Result<Written> {
    let Some(first) = batches.first() else {
        return Err(ArrowError::InvalidArgumentError("no record batch to write".into()).into());
    };
    let schema = first.schema();
    let props = writer_properties(&schema, key_values);
    let sink = HashingWriter {
        inner: file,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut writer = ArrowWriter::try_new(sink, schema, Some(props))?;
    let mut rows = 0u64;
    for batch in batches {
        writer.write(batch)?;
        rows += batch.num_rows() as u64;
    }
    // Writes the last row group and the footer.
    let mut sink = writer.into_inner()?;
    sink.flush()?;
    file.sync_all()?;
    Ok(Written {
        rows,
        bytes: sink.bytes,
        sha256: hex::encode(sink.hasher.finalize()),
    })
}

/// Reads a whole Parquet file. The `desi_city.*` provenance keys, which the Parquet reader copies
/// into the Arrow schema metadata, are removed so the batches have the schema they were written with.
pub(super) fn read(file: File) -> Result<Vec<RecordBatch>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?
        .with_batch_size(READ_BATCH_ROWS)
        .build()?;
    let read_schema = reader.schema();
    let mut schema = read_schema.as_ref().clone();
    schema
        .metadata
        .retain(|key, _| !key.starts_with(META_PREFIX));
    let schema = Arc::new(schema);
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch?;
        batches.push(RecordBatch::try_new(
            Arc::clone(&schema),
            batch.columns().to_vec(),
        )?);
    }
    Ok(batches)
}

/// The key-value metadata of a Parquet file (the `desi_city.*` provenance keys and any others),
/// without the embedded Arrow schema. Reads only the footer.
pub fn read_metadata(path: impl AsRef<Path>) -> Result<BTreeMap<String, String>> {
    let file = File::open(path.as_ref()).map_err(|source| super::StoreError::Fs {
        path: path.as_ref().to_path_buf(),
        source,
    })?;
    let reader = SerializedFileReader::new(file)?;
    let pairs = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|pairs| {
            pairs
                .iter()
                .filter(|kv| kv.key != ARROW_SCHEMA_KEY)
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    Ok(pairs)
}

/// Passes writes through to the file while hashing and counting them, so the file's checksum and
/// size come for free instead of from a second read.
struct HashingWriter<'a> {
    inner: &'a File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.hasher.update(written);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::Field;
    use parquet::basic::Encoding;

    fn batch(rows: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("geo", DataType::Utf8, false),
            Field::new("value", DataType::Float64, true),
        ]));
        let geo: StringArray = (0..rows)
            .map(|i| Some(if i % 2 == 0 { "BE" } else { "BE1" }))
            .collect();
        let value: Float64Array = (0..rows).map(|i| Some(i as f64 * 0.5)).collect();
        RecordBatch::try_new(schema, vec![Arc::new(geo), Arc::new(value)]).expect("batch")
    }

    #[test]
    fn written_files_use_zstd_statistics_and_dictionary_only_for_strings() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.parquet");
        let file = File::create(&path).expect("create");
        let written = write(
            &file,
            &[batch(1000)],
            vec![KeyValue::new("k".to_owned(), "v".to_owned())],
        )
        .expect("write");
        drop(file);
        assert_eq!(written.rows, 1000);
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(written.bytes, bytes.len() as u64);
        assert_eq!(written.sha256, hex::encode(Sha256::digest(&bytes)));

        let reader = SerializedFileReader::new(File::open(&path).expect("open")).expect("reader");
        let row_group = reader.metadata().row_group(0);
        let geo = row_group.column(0);
        let value = row_group.column(1);
        assert!(matches!(geo.compression(), Compression::ZSTD(_)));
        assert!(geo.statistics().is_some());
        assert!(value.statistics().is_some());
        let has_dictionary = |encodings: Vec<Encoding>| {
            encodings
                .iter()
                .any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY))
        };
        assert!(has_dictionary(geo.encodings().collect()));
        assert!(!has_dictionary(value.encodings().collect()));
        assert_eq!(
            read_metadata(&path)
                .expect("metadata")
                .get("k")
                .map(String::as_str),
            Some("v")
        );
    }
}
