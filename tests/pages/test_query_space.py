"""The whole query space a user can reach shows only published numbers (AppTest, no mocking of the app).

For every role in config/roles.toml and every page it may open, the URL selections each page keeps in
st.query_params are enumerated from the published tables and config: every value of every filter is run at least
once by varying one filter at a time around the page's default, plus a few full combinations drawn with a fixed seed
(the full Cartesian product would take far too long). Each run collects every number a user sees: st.metric values
and deltas, every cell of every st.dataframe, every x/y/text/customdata/base/error-bar value of every plotly trace,
annotation texts and axis ranges, every cell of every CSV download (fetched from AppTest's in-memory media
storage), every cell of the data sheets of the .xlsx / .ods downloads, and the text of the PDF briefing. Every
number must be a value of the published tables behind that page, or one of the derivations listed in
`allowed_numbers` (rounding to 0 or 1 dp, |SMD|, error-bar lengths, metric deltas, spine ranges, axis geometry); a
float tolerance of 0.051 covers 1-dp rounding. Each CSV download must equal the table shown beside it.

Limits: plotly layout shapes (reference lines, tile rectangles) and titles are not checked; the methodology page
shows no statistics, so its table numbers are checked against the config text they come from.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from base64 import b64decode
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import streamlit.testing.v1.app_test as app_test_module
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from data_access.access import web_tier_engine
from data_access.config import benchmark_name, load_localities, load_measures, load_roles, resolve_config_dir
from data_access.published_reads import read_published
from pages._downloads import tables_for_pages
from pages._heat_grid import PER_BLOCK
from pages._linkage_views import BREAKDOWN_LABELS as LINKAGE_BREAKDOWNS
from pages._views import IMPACT_METHODS, SENSITIVITY_METHODS, year_choices
from tests.pages.conftest import PAGE_FILES, run_page

TOLERANCE = 0.051
SEED = 20240401
RANDOM_COMBINATIONS = 3
OUTCOMES = ["improved_percent", "sustained_percent"]
PAGE_TABLES = {
    "overview": ["families", "family_outcomes", "needs_overview", "measure_progress", "cohort_maturity"],
    "measures": ["measure_progress", "cohort_maturity"],
    "localities": ["measure_progress", "cohort_maturity"],
    "impact": ["impact", "impact_balance"],
    "disclosure": ["disclosure_summary", "linkage_quality"],
    "methodology": [],
}
TABLES = sorted({table for tables in PAGE_TABLES.values() for table in tables})
PERIOD = re.compile(r"\d{4}/\d{2}(?: Q\d)?")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w])")
TAG = re.compile(r"<[^>]+>")


# --- what is published, and what pages may legitimately derive from it -------------------------------------------


def _numbers(frame: pl.DataFrame) -> np.ndarray:
    return frame["value"].drop_nulls().to_numpy().astype(float) if frame.height else np.array([])


def _pair_differences(frame: pl.DataFrame, keys: list[str], middle: str, lower: str, upper: str) -> np.ndarray:
    """upper - middle and middle - lower of one published cell: the lengths of its error bars."""
    wide = frame.filter(pl.col("kind").is_in([middle, lower, upper]), pl.col("value").is_not_null()).pivot(
        on="kind", index=keys, values="value", aggregate_function="first")
    if not {middle, lower, upper} <= set(wide.columns):
        return np.array([])
    both = wide.select((pl.col(upper) - pl.col(middle)).alias("d")).vstack(
        wide.select((pl.col(middle) - pl.col(lower)).alias("d")))
    return _sorted(both["d"].drop_nulls().to_numpy())


@dataclass
class Allowed:
    """Numbers a page may show, by where they are shown. Everything not listed here is a leak."""

    values: np.ndarray
    error_bars: np.ndarray = field(default_factory=lambda: np.array([]))
    deltas: np.ndarray = field(default_factory=lambda: np.array([]))
    spine_ranges: np.ndarray = field(default_factory=lambda: np.array([]))
    axis_ranges: np.ndarray = field(default_factory=lambda: np.array([0.0, 100.0]))
    periods: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    dataset: np.ndarray = field(default_factory=lambda: np.array([]))  # whole-dataset spreadsheets (Methodology)
    briefing: np.ndarray = field(default_factory=lambda: np.array([]))  # the locality briefing PDF (Localities)


def _sorted(*parts: np.ndarray) -> np.ndarray:
    joined = np.concatenate([np.asarray(part, dtype=float) for part in parts]) if parts else np.array([])
    return np.unique(joined[np.isfinite(joined)])


def allowed_numbers(published: dict[str, pl.DataFrame], page_id: str, config_numbers: np.ndarray,
                    labels: set[str]) -> Allowed:
    """The explicit list of derivations each page may make from its published tables."""
    frames = [published[table] for table in PAGE_TABLES[page_id]]
    raw = _sorted(*(_numbers(frame) for frame in frames)) if frames else np.array([])
    # 1. published values, and their displays rounded to 0 or 1 dp (tolerance covers 1 dp).
    values = [raw, np.round(raw, 0), np.round(raw, 1)]
    if page_id == "impact":
        values.append(np.abs(_numbers(published["impact_balance"])))  # 2. the balance chart plots |SMD|
    if page_id == "methodology":
        values.append(config_numbers)  # 3. catalogue / privacy text comes from config, not statistics
    allowed = Allowed(values=_sorted(*values), labels=labels)
    for frame in frames:
        allowed.periods |= set(frame["period"].drop_nulls().unique().to_list())
        # a published category may name a year too (the impact balance's "cohort_year: 2022/23", shown in words)
        allowed.periods |= {period for category in frame["category"].drop_nulls().unique().to_list()
                            for period in PERIOD.findall(category)}
    if page_id in ("measures", "localities"):
        progress = published["measure_progress"]
        # 4. error bars: ci_upper - value and value - ci_lower of one published percent cell.
        allowed.error_bars = _pair_differences(progress, ["measure", "locality", "period", "breakdown", "category",
                                                          "statistic"], "percent", "ci_lower", "ci_upper")
        # 5. spine chart: highest - lowest published locality percent per measure, year and statistic.
        locality_names = [locality.name for locality in load_localities()]
        spread = progress.filter(pl.col("kind") == "percent", pl.col("breakdown") == "none",
                                 pl.col("locality").is_in(locality_names)).group_by(
            "measure", "period", "statistic").agg((pl.col("value").max() - pl.col("value").min()).alias("range"))
        allowed.spine_ranges = _sorted(spread["range"].drop_nulls().to_numpy())
        # 6. tile-map axis geometry: tile positions from config/localities.toml, +-0.6; the heat grids' column
        # positions (pages/_heat_grid.py: a block of PER_BLOCK columns spans -0.5 to PER_BLOCK - 0.5).
        localities = load_localities()
        allowed.axis_ranges = _sorted(np.array([0.0, 100.0, -0.6, 0.6, -0.5, PER_BLOCK - 0.5,
                                                max(loc.tile_column for loc in localities) + 0.6,
                                                -max(loc.tile_row for loc in localities) - 0.6]))
    if page_id == "methodology":
        # 9. the whole-dataset spreadsheets: any published value of any table (which tables a role gets:
        # tests/pages/test_downloads.py); their dates and periods are facts of the publication.
        allowed.dataset = _sorted(*(_numbers(frame) for frame in published.values()))
        for frame in published.values():
            allowed.periods |= set(frame["period"].drop_nulls().unique().to_list())
    if page_id == "localities":
        # 10. the PDF briefing: published values, config text (levels, labels), "3 years pooled", [u]'s 2.5 points,
        # the trend level 99.8%.
        allowed.briefing = _sorted(allowed.values, config_numbers, np.array([3.0, 2.5, 99.8]))
        allowed.dataset = allowed.values  # the briefing's spreadsheets: the same published values, as numbers
    if page_id == "impact":
        impact = published["impact"]
        # 11. the share of supported units with no close match: two published counts' ratio, a whole percent.
        sizes = impact.filter(pl.col("kind") == "count", pl.col("breakdown") == "none",
                              pl.col("statistic").is_in(["supported_unmatched", "supported_analysed"])).pivot(
            on="statistic", index=["measure", "locality"], values="value", aggregate_function="first")
        if {"supported_unmatched", "supported_analysed"} <= set(sizes.columns):
            shares = (100 * sizes["supported_unmatched"] / sizes["supported_analysed"]).round(0)
            allowed.values = _sorted(allowed.values, shares.drop_nulls().drop_nans().to_numpy())
        allowed.error_bars = _pair_differences(impact, ["measure", "locality", "statistic"], "difference",
                                               "effect_ci_lower", "effect_ci_upper")
    if page_id == "disclosure":
        # 8. linkage match rates: error bars of each published rate.
        allowed.error_bars = _pair_differences(published["linkage_quality"], ["breakdown", "category", "statistic"],
                                               "percent", "ci_lower", "ci_upper")
    if page_id == "overview":
        # 7. metric deltas: a published headline value minus the same cell's value in the previous year.
        deltas = []
        for table in ("families", "needs_overview"):
            yearly = published[table].filter(pl.col("period").str.contains(r"^\d{4}/\d{2}$"))
            keyed = yearly.sort("period").with_columns(
                previous=pl.col("value").shift(1).over("statistic", "kind", "locality", "breakdown", "category"))
            difference = (keyed["value"] - keyed["previous"]).drop_nulls().to_numpy()
            deltas += [difference, np.round(difference, 1)]
        allowed.deltas = _sorted(*deltas)
    return allowed


def _near(pool: np.ndarray, number: float) -> bool:
    if not pool.size:
        return False
    index = int(np.searchsorted(pool, number))
    return any(abs(pool[i] - number) <= TOLERANCE for i in (index - 1, index) if 0 <= i < pool.size)


# --- what a page shows --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    where: str  # metric / metric-delta / table / download / chart:<field> / chart:error / chart:base / chart:range
    raw: object


def _decode(array: object) -> list:
    """Plotly may send numeric arrays as typed base64 ({'dtype', 'bdata'})."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    if isinstance(array, list):
        return [item for element in array for item in (_decode(element) if isinstance(element, list | dict)
                                                      else [element])]
    return [array]


def chart_numbers(spec: dict) -> list[Shown]:
    found: list[Shown] = []
    for trace in spec.get("data", []):
        for name in ("x", "y", "z", "text", "customdata"):
            if name in trace:
                where = "chart:spine" if name == "x" and "base" in trace else f"chart:{name}"
                found.extend(Shown(where, item) for item in _decode(trace[name]))
        if "base" in trace:
            found.extend(Shown("chart:base", item) for item in _decode(trace["base"]))
        for bars in ("error_x", "error_y"):
            for name in ("array", "arrayminus"):
                found.extend(Shown("chart:error", item) for item in _decode(trace.get(bars, {}).get(name, [])))
    layout = spec.get("layout", {})
    for annotation in layout.get("annotations", []):
        found.append(Shown("chart:annotation", annotation.get("text", "")))
    for axis in ("xaxis", "yaxis"):
        found.extend(Shown("chart:range", item) for item in layout.get(axis, {}).get("range", []))
    return found


def frame_cells(frame: pl.DataFrame, where: str) -> list[Shown]:
    return [Shown(where, cell) for column in frame.columns for cell in frame[column].to_list()]


def _walk(node) -> list:
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for child in children.values() for leaf in _walk(child)]


class RecordingStorage(MemoryMediaFileStorage):
    """AppTest's in-memory media storage, remembered so download payloads can be read after the run."""

    instances: list[RecordingStorage] = []

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        RecordingStorage.instances.append(self)


class RecordingManager(MediaFileManager):
    """AppTest's media file manager, remembered so a download built on click can be built after the run."""

    instances: list[RecordingManager] = []

    def __init__(self, storage) -> None:
        super().__init__(storage)
        RecordingManager.instances.append(self)


def record_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest keep its media storage and manager, so the tests can read (or build) what a button offers."""
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)
    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingManager)


def deferred_payload(file_id: str) -> bytes:
    """What a download built on click holds: its callable run, as a click would run it."""
    for manager in reversed(RecordingManager.instances):
        try:
            return download_payload(manager.execute_deferred(file_id))
        except Exception:  # noqa: BLE001 - not this run's manager
            continue
    raise AssertionError(f"deferred download {file_id} not found")


WHOLE_DATASET = "all published statistics"  # its buttons' label; built on click (minutes as .ods): checked once, below


def download_payload(url: str) -> bytes:
    name = url.rsplit("/", 1)[-1]
    for storage in reversed(RecordingStorage.instances):
        try:
            return bytes(storage.get_file(name).content)
        except Exception:  # noqa: BLE001 - not in this run's storage
            continue
    raise AssertionError(f"download {url} not found in AppTest's media storage")


def _as_text(frame: pl.DataFrame) -> list[list[str | None]]:
    def text(cell: object) -> str | None:
        if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell == "":
            return None
        try:
            return repr(float(cell))
        except (TypeError, ValueError):
            return str(cell)

    return [[text(cell) for cell in row] for row in frame.rows()]


DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.+]+)?")
EDITION = re.compile(r"edition \d+")


def binary_download_cells(payload: bytes) -> list[Shown]:
    """Every cell of every data sheet of an .xlsx / .ods, or the text of a PDF (its dates and edition number, facts of
    the publication, removed). Cover sheets hold the publication's facts and definitions: test_downloads.py checks
    them."""
    if payload.startswith(b"%PDF"):
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(payload)).pages)
        return [Shown("download:pdf", EDITION.sub(" ", DATE.sub(" ", line))) for line in text.splitlines()]
    # .xlsx and .ods alike through calamine (a Rust reader, independent of both writers); odfpy, which the small
    # downloads' tests use (test_downloads.py), builds a DOM that took about 11 GB for the whole dataset.
    sheets = pl.read_excel(io.BytesIO(payload), sheet_id=0, engine="calamine",
                           read_options={"schema_sample_rows": None})
    return [cell for name, sheet in sheets.items() if name != "Cover" for cell in frame_cells(sheet, "download:sheet")]


def collect(app: AppTest) -> tuple[list[Shown], list[str]]:
    """Every number-bearing thing the run showed, and mismatches between a download and the table beside it."""
    found: list[Shown] = []
    for metric in app.metric:
        found.append(Shown("metric", metric.value))
        if metric.proto.delta:
            found.append(Shown("metric-delta", metric.proto.delta))
    for chart in app.get("plotly_chart"):
        found.extend(chart_numbers(json.loads(chart.proto.spec)))
    problems: list[str] = []
    last_table: pl.DataFrame | None = None
    for element in _walk(app._tree):
        if element.type == "dataframe":
            last_table = pl.from_pandas(element.value)
            found.extend(frame_cells(last_table, "table"))
        elif element.type == "download_button" and WHOLE_DATASET in element.proto.label:
            continue  # built on click, minutes to build: test_the_whole_dataset_downloads_hold_only_published_values
        elif element.type == "download_button":
            payload = (deferred_payload(element.proto.deferred_file_id) if element.proto.deferred_file_id
                       else download_payload(element.proto.url))
            if payload.startswith((b"PK", b"%PDF")):  # a spreadsheet or the PDF briefing: not a table's copy
                found.extend(binary_download_cells(payload))
                continue
            download = pl.read_csv(io.BytesIO(payload), infer_schema=False) if payload.strip() else pl.DataFrame()
            found.extend(frame_cells(download, "download"))
            if last_table is None:
                problems.append(f"download {element.proto.id} has no table beside it")
            elif download.columns != last_table.columns or _as_text(download) != _as_text(last_table):
                problems.append(f"download {element.proto.id} differs from the table shown beside it")
            last_table = None
    return found, problems


def _parse(raw: object, allowed: Allowed) -> tuple[list[float], list[str]]:
    """Numbers in one shown value; the second list holds unpublished period labels."""
    if raw is None or isinstance(raw, bool):
        return [], []
    if isinstance(raw, int | float):
        return ([] if np.isnan(raw) else [float(raw)]), []
    text = str(raw).strip()
    if text in allowed.labels or " ".join(TAG.sub(" ", text).split()) in allowed.labels:  # a label wrapped with <br>
        return [], []
    bad_periods = [period for period in PERIOD.findall(text) if period not in allowed.periods]
    text = TAG.sub(" ", PERIOD.sub(" ", text))
    return [float(match.replace(",", "")) for match in NUMBER.findall(text)], bad_periods


def violations(found: list[Shown], allowed: Allowed) -> list[str]:
    pools = {"metric-delta": allowed.deltas, "chart:error": allowed.error_bars,
             "chart:spine": _sorted(allowed.spine_ranges, allowed.values), "chart:range": allowed.axis_ranges,
             "download:sheet": allowed.dataset, "download:pdf": allowed.briefing}
    problems: list[str] = []
    for shown in found:
        numbers, bad_periods = _parse(shown.raw, allowed)
        problems.extend(f"{shown.where}: period {period!r} in {shown.raw!r} is not published" for period in bad_periods)
        pool = pools.get(shown.where, allowed.values)
        problems.extend(f"{shown.where}: {number:g} (from {shown.raw!r}) is not a published value"
                        for number in numbers if not _near(pool, number))
    return problems


# --- the query space ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(demo_env: dict[str, str]) -> dict[str, pl.DataFrame]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in demo_env.items():
            patch.setenv(key, value)
        engine = web_tier_engine()
    try:
        return {table: read_published(engine, table) for table in TABLES}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def labels(published: dict[str, pl.DataFrame]) -> set[str]:
    """Strings that are names, not numbers: published keys and symbols, configured labels."""
    names: set[str] = set()
    for frame in published.values():
        for column in ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind",
                       "symbol"):
            names |= set(frame[column].drop_nulls().unique().to_list())
    catalogue = load_measures()
    for measure in catalogue.measures:
        names |= {measure.id, measure.label, measure.short_label, f"{measure.id} {measure.short_label}",
                  f"{measure.id} {measure.label}"}
    names |= set(IMPACT_METHODS.values()) | set(SENSITIVITY_METHODS.values()) | {"Any of the family's needs", ""}
    return names


@pytest.fixture(scope="module")
def config_numbers() -> np.ndarray:
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(Path(resolve_config_dir()).glob("*.toml")))
    return _sorted(np.array([float(m.replace(",", "")) for m in NUMBER.findall(PERIOD.sub(" ", text))]))


def selections(page_id: str, role, published: dict[str, pl.DataFrame]) -> tuple[set[str], list[dict[str, str]]]:
    """The URL keys a page sets and the selections to run: defaults, one filter varied at a time, seeded combos."""
    progress = published["measure_progress"]
    years = year_choices(progress)  # single years and pooled periods
    measure_ids = [m.id for m in load_measures().measures]
    places = [benchmark_name(), *[loc.name for loc in load_localities()]]
    if page_id == "overview":
        return {"locality", "outcome"}, [{}] + [{"locality": place} for place in places] + [
            {"outcome": outcome} for outcome in OUTCOMES]
    if page_id == "measures":
        by_measure = {m: set(progress.filter(pl.col("measure") == m)["breakdown"].unique().to_list())
                      for m in measure_ids}
        options = {"outcome": OUTCOMES, "year": years, "measure": measure_ids, "locality": places}
        runs = [{}] + [{key: value} for key, values in options.items() for value in values]
        for breakdown in role.breakdowns:
            measure = next((m for m in measure_ids if breakdown in by_measure[m]), None)
            if measure:
                runs.append({"measure": measure, "breakdown": breakdown})
        rng = random.Random(f"{SEED}-{role.id}-{page_id}")
        for _ in range(RANDOM_COMBINATIONS):
            combo = {key: rng.choice(values) for key, values in options.items()}
            available = [b for b in role.breakdowns if b in by_measure[combo["measure"]]]
            if available:
                combo["breakdown"] = rng.choice(available)
            runs.append(combo)
        return {"outcome", "year", "measure", "breakdown", "locality"}, runs
    if page_id == "localities":
        options = {"locality": [loc.name for loc in load_localities()], "outcome": OUTCOMES, "year": years,
                   "measure": measure_ids}
        runs = [{}] + [{key: value} for key, values in options.items() for value in values]
        rng = random.Random(f"{SEED}-{role.id}-{page_id}")
        runs += [{key: rng.choice(values) for key, values in options.items()} for _ in range(RANDOM_COMBINATIONS)]
        return set(options), runs
    if page_id == "impact":
        outcomes = sorted(set(published["impact"].filter(pl.col("statistic").str.ends_with("_difference"))[
            "measure"].unique().to_list()))
        return {"outcome"}, [{"outcome": outcome} for outcome in outcomes]
    if page_id == "disclosure" and published["linkage_quality"].height:
        return {"linkage"}, [{"linkage": breakdown} for breakdown in LINKAGE_BREAKDOWNS]
    return set(), [{}]


ROLE_PAGES = [(role.id, page_id) for role in load_roles().roles for page_id in PAGE_FILES if page_id in role.pages]


@pytest.mark.parametrize(("role_id", "page_id"), ROLE_PAGES)
def test_every_number_shown_is_published(app_env, monkeypatch, published, labels, config_numbers,
                                         role_id: str, page_id: str):
    record_downloads(monkeypatch)
    role = load_roles().by_id(role_id)
    keys, runs = selections(page_id, role, published)
    allowed = allowed_numbers(published, page_id, config_numbers, labels)
    problems: list[str] = []
    for selection in runs:
        RecordingStorage.instances.clear()
        RecordingManager.instances.clear()
        app = run_page(role_id, page_id, selection)
        context = f"{page_id} as {role_id} with {selection or 'defaults'}"
        assert not app.exception, (context, [exception.value for exception in app.exception])
        assert set(app.query_params) - {"role"} == keys, f"{context}: the page's URL keys changed"
        for key, value in selection.items():
            assert app.query_params[key] == value, f"{context}: {key} not applied"
        found, download_problems = collect(app)
        assert found, f"{context}: nothing collected"
        problems.extend(f"{context}: {problem}" for problem in download_problems + violations(found, allowed))
    assert not problems, "\n".join(problems[:40])


def test_checker_flags_a_planted_number(published, labels, config_numbers):
    """The checker must be able to fail: plant unpublished numbers next to real ones."""
    allowed = allowed_numbers(published, "impact", config_numbers, labels)
    real = float(published["impact"]["value"].drop_nulls()[0])
    planted = [Shown("table", f"{real:g}"), Shown("table", "987654.3"),
               Shown("chart:customdata", "-4321.5 pp (1 to 2)"),
               Shown("metric-delta", "+5 on 2024/25"), Shown("chart:error", 31415.9),
               Shown("table", "1999/00")]
    problems = violations(planted, allowed)
    assert not any(repr(f"{real:g}") in problem and problem.startswith("table") for problem in problems[:1])
    assert any("987654.3" in problem for problem in problems)
    assert any("-4321.5" in problem for problem in problems)
    assert any(problem.startswith("metric-delta") for problem in problems)  # impact has no deltas
    assert any("31415.9" in problem for problem in problems)
    assert any("'1999/00'" in problem for problem in problems)
    assert violations([Shown("table", f"{real:g}")], allowed) == []
    briefing = allowed_numbers(published, "localities", config_numbers, labels)
    assert any("8765.4" in problem for problem in violations([Shown("download:pdf", "Purbeck 8765.4%")], briefing))
    assert violations([Shown("download:sheet", 8765.4)], allowed_numbers(published, "methodology", config_numbers,
                                                                          labels))


@pytest.mark.slow
def test_the_whole_dataset_downloads_hold_only_published_values(app_env, monkeypatch, published, labels,
                                                                 config_numbers):
    """The Methodology page's whole-dataset files (.xlsx and .ods), built as a click builds them, for the role that
    sees the most tables: a cover sheet first, then one sheet per table of the pages the role may open, and every cell
    of every data sheet a published value (allowed.dataset) or a name. Building both takes tens of seconds, so this runs
    once rather than for every role."""
    record_downloads(monkeypatch)
    role = max(load_roles().roles, key=lambda role: len(role.pages))
    app = run_page(role.id, "methodology", {})
    assert not app.exception, [exception.value for exception in app.exception]
    buttons = {button.proto.label.rsplit(" ", 1)[-1]: button for button in app.get("download_button")
               if WHOLE_DATASET in button.proto.label}
    assert set(buttons) == {"(.xlsx)", "(.ods)"}
    allowed = allowed_numbers(published, "methodology", config_numbers, labels)
    expected = ["Cover", *(name[:31] for name in tables_for_pages(role.pages))]
    for extension, button in buttons.items():
        payload = deferred_payload(button.proto.deferred_file_id)
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            is_ods = "content.xml" in archive.namelist() and "xl/workbook.xml" not in archive.namelist()
        assert is_ods == (extension == "(.ods)")
        names = list(pl.read_excel(io.BytesIO(payload), sheet_id=0, engine="calamine"))
        assert names == expected, extension
        found = binary_download_cells(payload)
        assert len(found) > 1000, extension
        assert violations(found, allowed) == [], extension
