"""A report as a government web page: site chrome (header, breadcrumbs, nav, a sidebar,
footer) around the article; the tables with their rowspan/colspan; on some pages the
markup Word's "save as web page" leaves (``class=MsoNormal``, ``mso-`` styles, ``<o:p>``,
conditional comments); some pages encoded GB18030 and declaring it in ``<meta charset>``.

Which page style, encoding, table width, cell font size and vertical alignment a report
gets is fixed by its id and variant (:mod:`gongkai.renderings.variants`), so a rendering
is reproducible and the suite covers every style across the corpus.

Hand-written: the point is to reproduce the quirks of real pages, which a templating
library would not add by itself.
"""
from __future__ import annotations

from html import escape

from gongkai.renderings.layout import GridCell, Paragraph, ReportModel, TableModel
from gongkai.renderings.variants import Layout, layout


def render_html(model: ReportModel, style: Layout | None = None) -> bytes:
    style = style or layout(model.report_id)
    article = "\n".join(_block(b, style) for b in model.blocks)
    date = _published(model)
    page = _PAGE.format(charset=style.encoding, title=escape(model.title), article=article,
                        crumb=escape(model.title[:30]), made=date or "",
                        posted=f"发布时间：{date} 10:00　" if date else "")
    return page.encode(style.encoding, errors="xmlcharrefreplace")


def _published(model: ReportModel) -> str | None:
    """The page's date is the report's own publication date when its text states one, else
    none: a made-up date would make the page late or early where the report is not."""
    from extractors.metadata import published_evidence

    found = published_evidence(model.text, None, None)
    return found.date if found else None


def _block(block, style: Layout) -> str:
    if isinstance(block, Paragraph):
        return _paragraph(block.text, style)
    parts = [_paragraph(block.caption, style, center=True)] if block.caption else []
    parts.append(_table(block, style))
    return "\n".join(parts)


def _paragraph(text: str, style: Layout, center: bool = False) -> str:
    body = escape(text)
    if style.word:
        align = " align=center style='text-align:center'" if center else \
            " style='text-indent:32.0pt;mso-char-indent-count:2.0'"
        return (f"<p class=MsoNormal{align}><span style='font-size:16.0pt;font-family:仿宋_GB2312;"
                f"mso-hansi-font-family:\"Times New Roman\"'>{body}<o:p></o:p></span></p>")
    return f'<p style="text-indent:2em;{"text-align:center;" if center else ""}">{body}</p>'


def _table(table: TableModel, style: Layout) -> str:
    if style.word:
        head = (f"<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
                f"width={round(600 * style.table_width)} "
                "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
                "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>")
    else:
        head = ('<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse;'
                f'width:{round(100 * style.table_width)}%;font-size:{style.table_pt}pt">')
    rows = []
    for r, row in enumerate(table.grid):
        cells = "".join(_cell(c, style) for c in row)
        attrs = f" style='mso-yfti-irow:{r};height:20.0pt'" if style.word else ""
        rows.append(f"<tr{attrs}>{cells}</tr>")
    return head + "<tbody>" + "".join(rows) + "</tbody></table>"


def _cell(cell: GridCell, style: Layout) -> str:
    tag = "th" if cell.kind == "header" and style.th_header else "td"
    span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + \
        (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
    text = escape(cell.text)
    valign = "middle" if style.center_cells or style.variant == 0 else "top"
    if style.word:
        inner = (f"<p class=MsoNormal align=center style='text-align:center'><span style='font-size:"
                 f"{style.table_pt}pt;font-family:宋体'>{text or '&nbsp;'}<o:p></o:p></span></p>")
        return (f"<{tag} width=60 valign={valign}{span} style='border:solid windowtext 1.0pt;"
                f"mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>{inner}</{tag}>")
    if style.variant and not style.center_cells:
        return f'<{tag}{span} valign="top">{text}</{tag}>'
    return f"<{tag}{span}>{text}</{tag}>"


_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta charset="{charset}">
<title>{title}_政府信息公开年度报告</title>
<link rel="stylesheet" href="/css/main.css">
<script type="text/javascript">var siteId = "1"; function share() {{ return "分享到微信"; }}</script>
</head>
<body>
<div class="header">
  <div class="top-bar"><a href="/">网站首页</a> | <a href="/wza/">无障碍</a> | <a href="/en/">English</a> | 繁體版</div>
  <div class="logo"><img src="/images/logo.png" alt="人民政府门户网站"></div>
  <ul class="nav">
    <li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
    <li><a href="/hdjl/">互动交流</a></li><li><a href="/zjzf/">走进政府</a></li>
  </ul>
  <form class="search" action="/search"><input name="q" placeholder="请输入关键字"><button>搜索</button></form>
</div>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt;&gt; <a href="/zwgk/">政府信息公开</a> &gt;&gt; <a href="/zwgk/nb/">政府信息公开年度报告</a> &gt;&gt; {crumb}</div>
<div class="main">
  <div class="sidebar">
    <h3>信息公开目录</h3>
    <ul><li><a href="/zwgk/zn/">政府信息公开指南</a></li><li><a href="/zwgk/zd/">政府信息公开制度</a></li>
    <li><a href="/zwgk/nb/">政府信息公开年报</a></li><li><a href="/zwgk/ysq/">依申请公开</a></li></ul>
  </div>
  <div class="content">
    <table class="meta"><tr><td>索引号：</td><td>000000000/2024-00001</td><td>发布机构：</td><td>办公室</td></tr>
    <tr><td>生成日期：</td><td>{made}</td><td>公开方式：</td><td>主动公开</td></tr></table>
    <h1 class="title">{title}</h1>
    <div class="info">{posted}来源：本网　浏览次数：<span id="hits">128</span>　【字体：大 中 小】</div>
    <div class="article TRS_Editor" id="zoom">
{article}
    </div>
    <div class="share">分享到：微信 微博 QQ空间　【打印本页】【关闭窗口】</div>
  </div>
</div>
<div class="footer">
  <p>主办单位：人民政府办公室　承办单位：信息中心</p>
  <p>网站标识码：0000000000　ICP备案号：闽ICP备00000000号　公网安备 00000000000000号</p>
  <p>联系电话：0591-00000000　技术支持：某某信息技术有限公司</p>
</div>
</body>
</html>
"""
