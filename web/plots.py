"""The dashboard's plots, drawn on the server by matplotlib (Agg) as SVG: no JavaScript
charting library, nothing from a CDN.  Each function takes the result of one statistic
of storage/stats.py (the same rows its JSON twin and CSV give) and returns SVG bytes.

Axis texts are ids (years, template ids, level ids, rule codes), so no CJK font is
needed; the page around the plots carries the translated titles.  Output is stable for
the same data (fixed hash salt, no date in the metadata).
"""
from __future__ import annotations

import io
import threading
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

matplotlib.rcParams.update({"svg.hashsalt": "gongkai", "svg.fonttype": "none",
                            "font.size": 9, "axes.spines.top": False,
                            "axes.spines.right": False})
_LOCK = threading.Lock()  # pyplot's figure registry is not thread-safe
SIZE = (6.4, 3.2)
TEMPLATE_COLOURS = {"pre2019": "#8c6d31", "2019trial": "#3182bd", "2021": "#31a354",
                    "unknown": "#bdbdbd"}
NAMES = ("reports", "rules", "prose", "distribution", "timeliness")


def _svg(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no data: {what}", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _years(rows: list[dict]) -> list[Any]:
    return sorted({r["year"] for r in rows if r.get("year") is not None})


def _figure(draw, result: dict, size: tuple[float, float] = SIZE) -> bytes:
    """One plot: ``draw(fig, ax, result)`` draws it, or returns what it lacks data for."""
    with _LOCK:
        fig, ax = plt.subplots(figsize=size)
        lacking = draw(fig, ax, result)
        if lacking:
            _empty(ax, lacking)
        return _svg(fig)


def _finish(ax, ylabel: str, **legend) -> None:
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, **legend)
    ax.tick_params(axis="x", rotation=45)


def _reports(fig, ax, result: dict) -> str | None:
    rows = result["rows"]
    years = _years(rows)
    if not years:
        return "reports"
    bottom = [0] * len(years)
    for tpl in sorted({r.get("template") or "unknown" for r in rows}):
        counts = [sum(r["reports"] for r in rows if r.get("year") == y
                      and (r.get("template") or "unknown") == tpl) for y in years]
        ax.bar([str(y) for y in years], counts, bottom=bottom, label=tpl,
               color=TEMPLATE_COLOURS.get(tpl))
        bottom = [b + c for b, c in zip(bottom, counts)]
    _finish(ax, "reports", title="template")
    return None


def _rules(fig, ax, result: dict, top: int = 12) -> str | None:
    rows = result["rows"]
    years = _years(rows)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["code"]] = totals.get(r["code"], 0) + r["flagged"]
    codes = sorted(totals, key=lambda c: (-totals[c], c))[:top]
    if not codes or not years:
        return "flagged reports"
    share = {(r["code"], r["year"]): r["flagged_share"] or 0 for r in rows}
    grid = [[share.get((c, y), 0) for y in years] for c in codes]
    im = ax.imshow(grid, aspect="auto", cmap="Reds", vmin=0, vmax=1)
    ax.set_xticks(range(len(years)), [str(y) for y in years], rotation=45)
    ax.set_yticks(range(len(codes)), codes)
    fig.colorbar(im, ax=ax, label="share of reports flagged")
    return None


def _prose(fig, ax, result: dict) -> str | None:
    rows = result["rows"]
    if not rows:
        return "reports with checkable prose"
    for level in sorted({r.get("level") or "unknown" for r in rows}):
        pts = sorted((r["year"], r["disagreement_rate"]) for r in rows
                     if (r.get("level") or "unknown") == level and r.get("year") is not None)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=level)
    years = _years(rows)
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylim(-0.05, 1.05)
    _finish(ax, "share of reports disagreeing", title="level")
    return None


def _distribution(fig, ax, result: dict) -> str | None:
    rows = [r for r in result["rows"] if r.get("n")]
    dims = result.get("by") or []
    name = result.get("measure") or result.get("metric")
    if not rows:
        return name or "measure"
    stats = [{"label": " ".join(str(r.get(d) if r.get(d) is not None else "?")
                                for d in dims) or "all",
              "whislo": r["min"], "q1": r["p25"], "med": r["median"], "q3": r["p75"],
              "whishi": r["max"], "mean": r["mean"], "fliers": []} for r in rows]
    ax.bxp(stats, showmeans=True)
    ax.set_ylabel(name or "")
    ax.tick_params(axis="x", rotation=60)
    return None


def _timeliness(fig, ax, result: dict) -> str | None:
    rows = result["rows"]
    if not rows:
        return "timeliness"
    years = [str(r["year"]) for r in rows]
    bottom = [0] * len(rows)
    for key, colour in (("on_time", "#31a354"), ("late", "#de2d26"),
                        ("not_assessable", "#bdbdbd")):
        vals = [r[key] for r in rows]
        ax.bar(years, vals, bottom=bottom, label=key.replace("_", " "), color=colour)
        bottom = [b + v for b, v in zip(bottom, vals)]
    _finish(ax, "reports")
    return None


def reports_plot(result: dict) -> bytes:
    """Canonical reports per year, stacked by template generation."""
    return _figure(_reports, result)


def rules_plot(result: dict) -> bytes:
    """Share of the year's reports flagged (fail or warn) by each rule: a heat map of the
    12 rules with the most flagged reports."""
    return _figure(_rules, result, (SIZE[0], 4.2))


def prose_plot(result: dict) -> bytes:
    """Prose-vs-table disagreement rate per year, one line per level."""
    return _figure(_prose, result)


def distribution_plot(result: dict) -> bytes:
    """Box plots (min, quartiles, max) of a measure, one box per group of the result."""
    return _figure(_distribution, result)


def timeliness_plot(result: dict) -> bytes:
    """Reports per year published on time, late, or not assessable (stacked)."""
    return _figure(_timeliness, result)


PLOTTERS = {"reports": reports_plot, "rules": rules_plot, "prose": prose_plot,
            "distribution": distribution_plot, "timeliness": timeliness_plot}


def plot(name: str, result: dict) -> bytes:
    return PLOTTERS[name](result)
