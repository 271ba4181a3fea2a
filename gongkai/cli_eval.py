"""The evaluation commands of the CLI: ``evaluate`` (gold, openings, renderings,
synthetic), ``renderings build``, ``synth`` and ``fuzz``.  Registered on the main group
by gongkai/cli.py (global options come before the subcommand)."""
from __future__ import annotations

import sys
from pathlib import Path

import click


def _dump(obj) -> str:
    from gongkai.cli import _dump as dump  # the CLI's one JSON form

    return dump(obj)


def _default_corpus() -> str:
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = base / ".." / "shared" / "corpus"
        if candidate.is_dir():
            return str(candidate.resolve())
    return "../shared/corpus"


@click.command()
@click.option("--corpus", "corpus_dir", default=None,
              help="Folder holding the reports the gold files name (default ../shared/corpus).")
@click.option("--gold", "gold_dir", default="corpus/gold", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--verbose", "-v", is_flag=True, help="List every miss and false alarm.")
@click.option("--ner/--no-ner", default=False, help="Run the NER model (entities are not scored).")
@click.option("--synthetic", "synthetic_n", type=int, default=0,
              help="Also generate N synthetic reports with seeded discrepancies and score them.")
@click.option("--renderings/--no-renderings", default=False,
              help="Also score the HTML/DOCX/PDF renderings of the corpus (builds them once; PDF needs soffice).")
@click.option("--variants", default=None, metavar="A..B",
              help="With --renderings: score the HTML, DOCX and PDF renderings in every layout "
                   "variant A..B (e.g. 1..10) instead of each report's default and one other.")
def evaluate(corpus_dir, gold_dir, as_json, verbose, ner, synthetic_n, renderings, variants) -> None:
    """Precision/recall/F1 per kind (cells, figures, statements, commitments, findings)."""
    from gongkai.evaluate import evaluate as run_eval, evaluate_synthetic, format_table
    layout_range = _variant_range(variants)
    from gongkai.eval_openings import evaluate_openings, format_openings

    if synthetic_n:
        synth = evaluate_synthetic(synthetic_n)
        if as_json:
            click.echo(_dump({"synthetic": synth}))
        else:
            click.echo(f"synthetic: {synth['reports']} reports (seed {synth['seed']}): seeded "
                       f"discrepancies caught {synth['seeded_recall']} "
                       f"({', '.join(f'{k} {v}' for k, v in synth['by_kind'].items())}); "
                       f"clean reports with a fail: {synth['clean_with_fail']}/{synth['clean_reports']}")
            if verbose:
                for miss in synth["misses"]:
                    click.echo(f"miss synthetic: {miss}")
    corpus = Path(corpus_dir or _default_corpus())
    if not (corpus / "reports").is_dir():
        raise click.UsageError(f"no reports folder under {corpus}: pass --corpus")
    result = run_eval(corpus, Path(gold_dir), use_ner=ner)
    openings = evaluate_openings(Path(gold_dir), use_ner=ner)  # other bodies' report openings
    if openings:
        result["openings"] = openings
    scores = _rendering_scores(corpus, layout_range) if renderings else []
    if as_json:
        click.echo(_dump({**result, **({"renderings": [s.to_dict() for s in scores]} if renderings else {})}))
        return
    click.echo(format_table(result))
    if openings:
        click.echo(format_openings(openings))
    _echo_renderings(scores, verbose)
    if verbose:
        for title in ("misses", "false_alarms"):
            groups = [("", result[title]), ("openings ", (openings or {}).get(title, {}))]
            for prefix, by_kind in groups:
                for kind, items in by_kind.items():
                    for item in items:
                        click.echo(f"{title[:-2] if title == 'misses' else 'false alarm'} "
                                   f"{prefix}{kind}: {item}")


def _variant_range(text: str | None) -> range | None:
    if text is None:
        return None
    lo, sep, hi = text.partition("..")
    if not (lo.isdigit() and (not sep or hi.isdigit())):
        raise click.BadParameter(f"{text!r}: give a variant range such as 1..10", param_hint="--variants")
    return range(int(lo), int(hi or lo) + 1)


def _rendering_scores(corpus: Path, variants: range | None = None) -> list:
    from gongkai.eval_renderings import evaluate_renderings
    return evaluate_renderings(corpus, variants=variants)


def _echo_renderings(scores: list, verbose: bool) -> None:
    from gongkai.eval_renderings import format_scores

    if scores:
        click.echo(format_scores(scores))
    for s in scores if verbose else ():
        for line in s.details + s.errors:
            click.echo(f"rendering {s.fmt}: {line}")


@click.group()
def renderings() -> None:
    """Renderings of the real corpus (HTML page, DOCX, DOCX→PDF) built from its gold."""


@renderings.command("build")
@click.option("--formats", default="html,docx,pdf", show_default=True)
@click.option("--out", default=None, help="Folder (default $GONGKAI_RENDERINGS_DIR or .gongkai/renderings).")
@click.option("--corpus", "corpus_dir", default=None)
@click.option("--variant", type=click.IntRange(min=0), default=0, show_default=True,
              help="Layout variant seed (0: each report's default layout).")
def renderings_build(formats, out, corpus_dir, variant) -> None:
    from gongkai.renderings.cache import build_many
    from gongkai.renderings.layout import report_ids

    corpus = corpus_dir or _default_corpus()
    for fmt in [f.strip() for f in formats.split(",") if f.strip()]:
        for rid, path in build_many(report_ids(), fmt, corpus, out, variant).items():
            click.echo(f"{fmt}\t{rid}\t{path}")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("synth_args", nargs=-1, type=click.UNPROCESSED)
def synth(synth_args) -> None:
    """Generate synthetic reports with seeded discrepancies (see --help of gongkai.synth)."""
    from gongkai.synth import main as synth_main

    sys.exit(synth_main(list(synth_args)) or 0)


@click.command()
@click.option("--minutes", type=float, default=10.0, show_default=True, help="How long to fuzz.")
@click.option("--out", type=click.Path(file_okay=False), default="tmp/fuzz", show_default=True,
              help="Folder for crashing (crashes/<class>/) and slow (slow/) inputs.")
@click.option("--ner", is_flag=True, help="Also run the NER model (slower).")
@click.option("--ingest", is_flag=True, help="Fuzz ingest inputs (archives, JSONL) instead of analyse.")
def fuzz(minutes, out, ner, ingest) -> None:
    """Fuzz the pipeline with hostile variants of the corpus; exit 1 on any crash or slow input."""
    try:
        from gongkai.fuzz import main as fuzz_main
    except ImportError as exc:
        raise click.ClickException(f"gongkai fuzz needs the test extra ({exc.name} is missing): "
                                   "pip install -e '.[test]'") from exc
    sys.exit(fuzz_main(["--minutes", str(minutes), "--out", out] + ["--ner"] * ner
                       + ["--ingest"] * ingest))


def register(main: click.Group) -> None:
    for command in (evaluate, renderings, synth, fuzz):
        main.add_command(command)
