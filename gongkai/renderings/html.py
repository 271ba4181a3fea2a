"""A report as a government web page: site chrome (header, breadcrumbs, nav, a sidebar,
footer) around the article; the tables with their rowspan/colspan; on some pages the
markup Word's "save as web page" leaves (``class=MsoNormal``, ``mso-`` styles, ``<o:p>``,
conditional comments); some pages encoded GB18030 and declaring it in ``<meta charset>``.

Which page style and encoding a report gets is fixed by its id (``page_style``), so a
rendering is reproducible and the suite covers every style across the corpus.

Hand-written: the point is to reproduce the quirks of real pages, which a templating
library would not add by itself.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape

from gongkai.renderings.layout import GridCell, Paragraph, ReportModel, TableModel


@dataclass(frozen=True)
class PageStyle:
    word: bool  # Word-export markup in the article
    encoding: str  # utf-8 | gb18030
    th_header: bool  # header cells as <th> (else <td>)


def page_style(report_id: str) -> PageStyle:
    h = int(hashlib.sha256(report_id.encode("utf-8")).hexdigest(), 16)
    return PageStyle(word=h % 3 == 0, encoding="gb18030" if (h >> 4) % 3 == 0 else "utf-8",
                     th_header=(h >> 8) % 2 == 0)


def render_html(model: ReportModel, style: PageStyle | None = None) -> bytes:
    style = style or page_style(model.report_id)
    article = "\n".join(_block(b, style) for b in model.blocks)
    page = _PAGE.format(charset=style.encoding, title=escape(model.title), article=article,
                        crumb=escape(model.title[:30]))
    return page.encode(style.encoding, errors="xmlcharrefreplace")


def _block(block, style: PageStyle) -> str:
    if isinstance(block, Paragraph):
        return _paragraph(block.text, style)
    parts = [_paragraph(block.caption, style, center=True)] if block.caption else []
    parts.append(_table(block, style))
    return "\n".join(parts)


def _paragraph(text: str, style: PageStyle, center: bool = False) -> str:
    body = escape(text)
    if style.word:
        align = " align=center style='text-align:center'" if center else \
            " style='text-indent:32.0pt;mso-char-indent-count:2.0'"
        return (f"<p class=MsoNormal{align}><span style='font-size:16.0pt;font-family:仿宋_GB2312;"
                f"mso-hansi-font-family:\"Times New Roman\"'>{body}<o:p></o:p></span></p>")
    return f'<p style="text-indent:2em;{"text-align:center;" if center else ""}">{body}</p>'


def _table(table: TableModel, style: PageStyle) -> str:
    if style.word:
        head = ("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=600 "
                "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
                "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>")
    else:
        head = '<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse;width:100%">'
    rows = []
    for r, row in enumerate(table.grid):
        cells = "".join(_cell(c, style) for c in row)
        attrs = f" style='mso-yfti-irow:{r};height:20.0pt'" if style.word else ""
        rows.append(f"<tr{attrs}>{cells}</tr>")
    return head + "<tbody>" + "".join(rows) + "</tbody></table>"


def _cell(cell: GridCell, style: PageStyle) -> str:
    tag = "th" if cell.kind == "header" and style.th_header else "td"
    span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + \
        (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
    text = escape(cell.text)
    if style.word:
        inner = (f"<p class=MsoNormal align=center style='text-align:center'><span style='font-size:"
                 f"10.5pt;font-family:宋体'>{text or '&nbsp;'}<o:p></o:p></span></p>")
        return (f"<{tag} width=60 valign=middle{span} style='border:solid windowtext 1.0pt;"
                f"mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>{inner}</{tag}>")
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
    <tr><td>生成日期：</td><td>2024-01-20</td><td>公开方式：</td><td>主动公开</td></tr></table>
    <h1 class="title">{title}</h1>
    <div class="info">发布时间：2024-01-20 10:00　来源：本网　浏览次数：<span id="hits">128</span>　【字体：大 中 小】</div>
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
