"""atsintc synth-report: the Markdown table and where it is written (no synthesis)."""

import pytest

from atsintc.tools import fpga

ROW = dict(device="LFE5U-85F-6BG381C", processes=4, priorities=8, depth=64, vectors=16,
           blocked_depth=16, channels=4, luts=54321, ffs=16000, wrapper_ffs=120,
           ram={"DP16KD": 0, "TRELLIS_RAMW": 192}, fmax_mhz=101.5, seconds=1234.5)


def test_table_has_every_figure():
    table = fpga.format_markdown([ROW])
    line = table.splitlines()[2]
    for text in ("| systolic | 4 x 8 | 64 ready per process, 16 blocked per vector",
                 "| 16 |", "54321", "16000 (120)", "192 TRELLIS_RAMW", "101.5", "1234.5"):
        assert text in line
    pool = dict(ROW, queue="pool", pool=1024, depth=None, blocked_depth=None)
    assert "| pool | 4 x 8 | pool of 1024 |" in fpga.format_markdown([pool])


@pytest.mark.parametrize("config,want", [
    ((4, 1024, 16, "pool"), dict(queue="pool", pool=1024, processes=4, vectors=16)),
    ((2, 16, 8), dict(queue="systolic", ready_depth=16, blocked_depth=16, channels=2)),
    ((1, 8, 4, "systolic"), dict(queue="systolic", ready_depth=8, blocked_depth=8)),
])
def test_config_params(config, want):
    p = fpga.config_params(config)
    for k, v in want.items():
        assert getattr(p, k) == v, (k, getattr(p, k))


@pytest.mark.parametrize("value", ["1,8", "1,8,4,fifo", "a,8,4"])
def test_config_option_checks_its_argument(value, capsys):
    with pytest.raises(SystemExit):
        fpga.main(["--family", "ecp5", "--config", value, "--no-docs"])
    assert "--config takes P,N,V or P,N,V,pool|systolic" in capsys.readouterr().err


def test_write_docs_replaces_only_the_section(tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text(f"# Perf\nbefore\n{fpga.DOCS_BEGIN}\nold table\n{fpga.DOCS_END}\nafter\n")
    fpga.write_docs(doc, fpga.format_markdown([ROW]), "atsintc synth-report --config 4,64,16")
    text = doc.read_text()
    assert "old table" not in text
    assert text.startswith("# Perf\nbefore\n") and text.endswith(f"{fpga.DOCS_END}\nafter\n")
    assert "`atsintc synth-report --config 4,64,16`" in text and "101.5" in text
    # twice: still one table
    fpga.write_docs(doc, fpga.format_markdown([ROW]), "atsintc synth-report")
    assert doc.read_text().count("101.5") == 1


def test_write_docs_needs_the_markers(tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text("# no markers\n")
    with pytest.raises(ValueError, match="no '<!-- synth-report -->'"):
        fpga.write_docs(doc, "table", "cmd")


def test_cli_refuses_a_file_without_markers_before_synthesizing(tmp_path, capsys):
    doc = tmp_path / "perf.md"
    doc.write_text("# no markers\n")
    with pytest.raises(SystemExit):
        fpga.main(["--family", "ecp5", "--config", "1,8,4", "--docs", str(doc)])
    assert "has no '<!-- synth-report -->' line" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["1024", "1024,64,3", "a,b"])
def test_taskpool_option_checks_its_argument(value, capsys):
    with pytest.raises(SystemExit):
        fpga.main(["--taskpool", value])
    assert "--taskpool takes SIZE,LISTS" in capsys.readouterr().err


def test_row_that_does_not_fit():
    row = dict(ROW, luts="does not fit (5388 needed)", ffs=None, wrapper_ffs=None, ram={},
               fmax_mhz=None, seconds=None)
    line = fpga.format_markdown([row]).splitlines()[2]
    assert "| does not fit (5388 needed) | - | 0 | - | - |" in line
