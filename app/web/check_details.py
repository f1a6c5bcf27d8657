"""The technical detail of each verification check, in the page's language.

The verifier (:mod:`openbadges.verification`) writes every check's ``detail`` as plain English
sentences with the facts of the case inside them: URLs, key ids, dates, counts, JSON paths. The
library stays English (the API and the CLI speak it); a page in another language translates the
detail here, sentence by sentence, by a table of patterns.

Each pattern is the English sentence the library writes with its embedded values as named
placeholders (``{url}``, ``{label}``, ``{msg}`` …), and the sentence to write instead, which
puts the same values back. What a placeholder captures is decided by its *kind* (its name without
trailing digits, see :data:`_KINDS`): most values are put back exactly as written (a URL stays
the URL), a few closed sets are translated (a purpose "revocation" → 撤销), and the messages of
errors and nested checks (``{msg}``, ``{detail}``, ``{summary}``) are translated in turn.

A detail is cut into sentences at the places the text allows (after a full stop or a closing
parenthesis, before a capital letter); from each cut the shortest run that translates completely
is one sentence, because an error message inside a sentence (``… could not be checked: https://x
was not fetched: …``) or a nested check's detail (``… failed (Signature: ….)``) may itself hold
stops. A sentence no pattern knows stays English; it comes back as its own :class:`Segment` with
``lang="en"`` so the page can mark it. Third-party messages that cannot be translated word for
word (pyld's JSON-LD errors, zlib's) are reduced to their stable code, kept as written.

The result for ``en`` is the detail unchanged. Only ``zh-CN`` has a table today; any other locale
gets the English detail, marked ``en``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CHECK_TITLES_ZH", "LocalisedDetail", "Segment", "localise_detail"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text in one language (``lang`` is a BCP 47 tag)."""

    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class LocalisedDetail:
    """A check's detail in the page's language, as far as it could be translated.

    Attributes:
        text: the whole detail, ready to show.
        lang: the BCP 47 tag of ``text`` as a whole: the page's locale when every sentence was
            translated (or when only some were: then the ``en`` segments say which), ``en``
            when nothing was.
        segments: the text in runs of one language; their texts joined are ``text``. A page
            marks a segment whose ``lang`` differs from ``lang`` with its own ``lang``.
    """

    text: str
    lang: str
    segments: tuple[Segment, ...]

    @property
    def complete(self) -> bool:
        """Whether every part is in ``lang`` (nothing was left in English)."""
        return all(segment.lang == self.lang for segment in self.segments)


_ZH = "zh-CN"

CHECK_TITLES_ZH: dict[str, str] = {
    "Format": "格式",
    "Open Badges 3.0 structure": "开放徽章 3.0 结构",
    "Credential schemas": "证书架构",
    "Signature": "签名",
    "Issuer key": "密钥属于颁发机构",
    "Revocation": "撤销状态",
    "Suspension": "暂停状态",
    "Validity period": "有效期",
    "Included credentials": "包含的证书",
    "Recipient": "获得者",
    "Endorsements": "背书",
}
"""The library's check titles (``CHECK_TITLES``) as the zh-CN catalogue names the checks
(``check.<id>`` in ``app/web/i18n/zh-CN.json``); a test keeps the two equal."""


def localise_detail(detail: str, locale: str) -> LocalisedDetail:
    """Return ``detail`` in ``locale`` (``en`` or ``zh-CN``), sentence by sentence.

    Args:
        detail: a check's ``detail`` as the verifier wrote it.
        locale: the page's locale.

    Returns:
        The translated detail; for ``en`` (or a locale without a table) the input unchanged.
    """
    if locale != _ZH or not detail.strip() or len(detail) > MAX_TRANSLATED:
        return LocalisedDetail(detail, "en", (Segment(detail, "en"),))
    _budget.left = MAX_STEPS
    try:
        segments = _merge(_translate_text(detail.strip())[0])
    except _OverBudget:  # text built to make the search explode: shown as the verifier wrote it
        return LocalisedDetail(detail, "en", (Segment(detail, "en"),))
    finally:
        _budget.left = None
    text = "".join(s.text for s in segments)
    lang = _ZH if any(s.lang == _ZH for s in segments) else "en"
    return LocalisedDetail(text, lang, segments)


# --- Segments -------------------------------------------------------------------------------

_Segs = tuple[Segment, ...]


def _zh(text: str) -> _Segs:
    return (Segment(text, _ZH),)


def _en(text: str) -> _Segs:
    return (Segment(text, "en"),)


def _en_chars(segments: _Segs) -> int:
    return sum(len(s.text) for s in segments if s.lang == "en")


def _merge(segments: _Segs) -> _Segs:
    """Join neighbours of one language; put a space after an English run before more text
    (not before a closing Chinese punctuation mark)."""
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].lang == segment.lang:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.lang)
        else:
            if (
                merged
                and merged[-1].lang == "en"
                and not merged[-1].text.endswith(" ")
                and segment.text[0] not in "。，；：）」』、"
            ):
                merged[-1] = Segment(merged[-1].text + " ", "en")
            merged.append(segment)
    return tuple(merged)


# --- Value translators ---------------------------------------------------------------------

_PURPOSE = {"revocation": "撤销", "suspension": "暂停"}
_PAST = {"revoked": "撤销", "suspended": "暂停"}
_STRUCTURE_KIND = {
    "an Open Badges 3.0 credential": "开放徽章 3.0 证书",
    "a CLR 2.0 ClrCredential (Comprehensive Learner Record)": "CLR 2.0 ClrCredential（综合学习者记录）",
    "an Open Badges 3.0 endorsement": "开放徽章 3.0 背书",
    "a Bitstring Status List credential": "位串状态列表证书（BitstringStatusListCredential）",
}
_FORMAT_INNER = {
    "a JSON credential with embedded proofs": "带有内嵌证明的 JSON 证书",
    "a VC-JWT (compact JWS)": "VC-JWT（紧凑 JWS）",
}
_IDENTITY_TYPE = {
    "emailAddress": "电子邮箱地址",
    "identifier": "标识符",
    "url": "网址",
    "phone": "电话号码",
    "studentId": "学号",
    "name": "姓名",
}
_BOUND_NAME = {"the JWT nbf claim": "JWT 的 nbf 声明", "the JWT exp claim": "JWT 的 exp 声明"}


def _verbatim(value: str) -> _Segs:
    return _zh(value)


def _closed(table: dict[str, str]) -> Callable[[str], _Segs]:
    def translate(value: str) -> _Segs:
        return _zh(table.get(value, value))

    return translate


_LIST_PURPOSE = {**_PURPOSE, "refresh": "刷新", "message": "消息"}
"""Every ``statusPurpose`` of Bitstring Status List v1.0 §2.1."""


def _purposes(value: str) -> _Segs:
    """``revocation, refresh`` or ``no purpose`` (a status list's purposes)."""
    if value == "no purpose":
        return _zh("（无用途）")
    return _zh("、".join(_LIST_PURPOSE.get(p, p) for p in value.split(", ")))


def _zlib_error(value: str) -> _Segs:
    """zlib's ``Error -3 while decompressing data: incorrect header check`` (reason kept)."""
    match = re.fullmatch(r"Error (?P<code>-?\d+) while decompressing data: (?P<why>.+)", value)
    if match is None:
        return _en(value)
    return _zh(f"解压出错（zlib 错误 {match['code']}：'{match['why']}'）")


def _type_list(value: str) -> _Segs:
    """``A or B`` / ``A, B`` / ``nothing`` / ``no type`` (type names are kept)."""
    if value in ("nothing", "no type"):
        return _zh("（无）")
    return _zh(value.replace(" or ", " 或 ").replace(", ", "、"))


def _sources(value: str) -> _Segs:
    return _zh(value.replace(" and ", " 和 "))


def _proof_label(value: str) -> _Segs:
    """``The proof (eddsa-rdfc-2022)``, ``Proof 2``, ``The JWT signature (EdDSA)``."""
    match = _LABEL_PARTS.fullmatch(value)
    if match is None:  # pragma: no cover - the kind's regex admits only these forms
        return _zh(value)
    if match["jwt"]:
        head = "JWT 签名"
    elif match["number"]:
        head = f"证明 {match['number']}"
    else:
        head = "证明"
    suite = f"（{match['suite']}）" if match["suite"] else ""
    return _zh(head + suite)


_LABEL_RE = (
    r"(?:[Tt]he JWT signature \([^()]*\)"
    r"|(?:[Tt]he proof|Proof \d+)(?: \((?!type )[^()]*\))?)"
)
_LABEL_PARTS = re.compile(
    r"(?:(?P<jwt>[Tt]he JWT signature)|[Tt]he proof|Proof (?P<number>\d+))"
    r"(?: \((?P<suite>[^()]*)\))?"
)

_KEY_WHAT = [
    (
        re.compile(r"The key (?P<id>\S+) \(described at (?P<base>\S+)\)"),
        "密钥 {id}（描述于 {base}）",
    ),
    (re.compile(r"The key at (?P<url>\S+)"), "位于 {url} 的密钥"),
    (re.compile(r"The key in the JWT header"), "JWT 头部中的密钥"),
]


def _key_what(value: str) -> _Segs:
    for pattern, template in _KEY_WHAT:
        match = pattern.fullmatch(value)
        if match:
            return _zh(template.format(**match.groupdict()))
    return _en(value)  # pragma: no cover - the kind's regex admits only these forms


def _included_label(value: str) -> _Segs:
    """``Included credential 2 of 3 “Name” ($.credentialSubject.verifiableCredential[1])``."""
    match = re.fullmatch(
        r"Included credential (?P<i>\d+) of (?P<n>\d+)(?P<named> “.*”)? \((?P<path>\$\S*)\)",
        value,
        re.DOTALL,
    )
    if match is None:  # pragma: no cover - the kind's regex admits only this form
        return _en(value)
    named = (match["named"] or "").strip()
    return _zh(f"所含的第 {match['i']} 份证书（共 {match['n']} 份）{named}（{match['path']}）")


def _message(value: str) -> _Segs:
    """An error message inside a sentence: a known fragment, else sentences, else English."""
    text = value.strip()
    body = text[:-1] if text.endswith(".") and not text.endswith("..") else text
    more = _AND_MORE.fullmatch(body)
    if more:
        return (*_message(more["rest"]), *_zh(f"（另有 {more['n']} 处）"))
    also = _ALSO.fullmatch(body)
    if also:
        return (*_message(also["first"]), *_zh("（另有："), *_message(also["others"]), *_zh("）"))
    if _ERROR_LIST.search(body):
        out: list[Segment] = []
        for number, part in enumerate(_ERROR_LIST.split(body)):
            out.extend((*(_zh("；") if number else ()), *_message(part)))
        return tuple(out)
    prefix = _ERROR_PATH.match(body)
    if prefix:
        return _zh(prefix["path"] + "：") + _message(body[prefix.end() :])
    segments = _fragment(body)
    if segments is not None:
        return segments
    translated, missing = _translate_text(text, fragments=True)
    if missing < len(text):
        return _strip_stop(translated)
    return _en(body)


_ERROR_PATH = re.compile(r"(?P<path>\$[^\s:]*): (?=\S)")
_ERROR_LIST = re.compile(r"; (?=\$)")
_ALSO = re.compile(r"(?P<first>.+?) \(also: (?P<others>.+)\)", re.DOTALL)
_AND_MORE = re.compile(r"(?P<rest>.+) \(and (?P<n>\d+) more\)", re.DOTALL)


def _strip_stop(segments: _Segs) -> _Segs:
    """Drop the final 。 of a translated message that a template closes itself."""
    if segments and segments[-1].lang == _ZH and segments[-1].text.endswith("。"):
        return (*segments[:-1], Segment(segments[-1].text[:-1], _ZH))
    return segments


def _nested_detail(value: str) -> _Segs:
    return _translate_text(value.strip())[0]


def _summary(value: str) -> _Segs:
    """``Title: detail; Title: detail`` (the failing checks of a nested report)."""
    if value == "no detail":
        return _zh("无详情")
    parts = _SUMMARY_SPLIT.split(value)
    out: list[Segment] = []
    for number, part in enumerate(parts):
        match = _TITLED.fullmatch(part)
        if number:
            out.extend(_zh("；"))
        if match is None:
            out.extend(_en(part))
            continue
        out.extend(_zh(CHECK_TITLES_ZH[match["title"]] + "："))
        out.extend(_strip_stop(_nested_detail(match["detail"])))
    return tuple(out)


_TITLES_RE = "|".join(re.escape(t) for t in sorted(CHECK_TITLES_ZH, key=len, reverse=True))
_SUMMARY_SPLIT = re.compile(rf"; (?=(?:{_TITLES_RE}): )")
_TITLED = re.compile(rf"(?P<title>{_TITLES_RE}): (?P<detail>.*)", re.DOTALL)


def _title(value: str) -> _Segs:
    return _zh(CHECK_TITLES_ZH.get(value, value))


def _json_error(value: str) -> _Segs:
    """A message of Python's JSON parser (``Expecting value: line 1 column 1 (char 0)``), or
    of its UTF-8 decoder."""
    codec = _CODEC_ERROR.fullmatch(value)
    if codec is not None:
        byte = f"字节 {codec['byte']} " if codec["byte"] else "字节"
        why = _CODEC_ERRORS.get(codec["why"], codec["why"])
        return _zh(f"不是有效的 UTF-8 文本：位置 {codec['pos']} 的{byte}{why}")
    match = _JSON_ERROR.fullmatch(value)
    if match is None:
        return _en(value)
    what = _JSON_ERRORS.get(match["what"], match["what"])
    return _zh(f"第 {match['line']} 行第 {match['col']} 列（字符 {match['char']}）：{what}")


def _xml_error(value: str) -> _Segs:
    """A message of Python's XML parser (expat): ``unclosed token: line 1, column 0``."""
    match = re.fullmatch(r"(?P<what>.+): line (?P<line>\d+), column (?P<col>\d+)", value)
    if match is None or match["what"] not in _XML_ERRORS:
        return _en(value)
    return _zh(f"第 {match['line']} 行第 {match['col']} 列：{_XML_ERRORS[match['what']]}")


_XML_ERRORS = {
    "not well-formed (invalid token)": "格式错误（无效的记号）",
    "unclosed token": "记号未闭合",
    "no element found": "找不到元素",
    "syntax error": "语法错误",
    "mismatched tag": "标签不匹配",
    "junk after document element": "文档元素之后有多余内容",
    "unbound prefix": "前缀未绑定",
    "duplicate attribute": "属性重复",
    "undefined entity": "未定义的实体",
    "unclosed CDATA section": "CDATA 段未闭合",
    "XML or text declaration not at start of entity": "XML 声明不在实体开头",
    "not well-formed": "格式错误",
}
_CODEC_ERROR = re.compile(
    r"'utf-8' codec can't decode (?:byte (?P<byte>0x[0-9a-f]{2})|bytes) in position "
    r"(?P<pos>\d+(?:-\d+)?): (?P<why>.+)"
)
_CODEC_ERRORS = {
    "invalid start byte": "不能作为字符的开头",
    "invalid continuation byte": "不是有效的后续字节",
    "unexpected end of data": "处数据意外结束",
}
_JSON_ERRORS = {
    "Expecting value": "应为一个值",
    "Expecting property name enclosed in double quotes": "应为用双引号括起的属性名",
    "Expecting ',' delimiter": "应为逗号分隔符",
    "Expecting ':' delimiter": "应为冒号分隔符",
    "Extra data": "多余的数据",
    "Unterminated string starting at": "字符串未结束",
    "Invalid control character at": "无效的控制字符",
    "Invalid \\escape": "无效的转义",
    "Invalid \\uXXXX escape": "无效的 \\uXXXX 转义",
    "Illegal trailing comma before end of object": "对象末尾有多余的逗号",
    "Illegal trailing comma before end of array": "数组末尾有多余的逗号",
}
_JSON_ERROR = re.compile(
    r"(?P<what>[A-Z][^:]*?|Invalid \\escape|Invalid \\uXXXX escape)(?:: (?P<extra>.*?))?: "
    r"line (?P<line>\d+) column (?P<col>\d+) \(char (?P<char>\d+)\)"
)

_VALUE = r"(?:(?!\. ).)+?"
"""A value written back as it is: anything that does not run past the end of its sentence."""

_JSONLD_CODES = {
    "invalid @id value": "无效的 @id 值",
    "invalid type value": "无效的 @type 值",
    "invalid @context entry": "无效的 @context 条目",
    "invalid local context": "无效的本地上下文",
    "invalid term definition": "无效的术语定义",
    "invalid IRI mapping": "无效的 IRI 映射",
    "invalid type mapping": "无效的类型映射",
    "invalid value object": "无效的值对象",
    "invalid value object value": "无效的值对象取值",
    "invalid typed value": "无效的类型化值",
    "invalid language-tagged string": "无效的语言标记字符串",
    "invalid language-tagged value": "无效的语言标记值",
    "invalid @index value": "无效的 @index 值",
    "invalid @reverse value": "无效的 @reverse 值",
    "invalid reverse property": "无效的反向属性",
    "invalid reverse property map": "无效的反向属性映射",
    "invalid set or list object": "无效的 set 或 list 对象",
    "invalid keyword alias": "无效的关键字别名",
    "invalid base IRI": "无效的基础 IRI",
    "invalid vocab mapping": "无效的 vocab 映射",
    "invalid container mapping": "无效的容器映射",
    "invalid scoped context": "无效的作用域上下文",
    "invalid @included value": "无效的 @included 值",
    "invalid @nest value": "无效的 @nest 值",
    "invalid @version value": "无效的 @version 值",
    "invalid @prefix value": "无效的 @prefix 值",
    "invalid @propagate value": "无效的 @propagate 值",
    "invalid @import value": "无效的 @import 值",
    "invalid remote context": "无效的远程上下文",
    "keyword redefinition": "重新定义了关键字",
    "protected term redefinition": "重新定义了受保护的术语",
    "cyclic IRI mapping": "循环的 IRI 映射",
    "colliding keywords": "关键字冲突",
    "conflicting indexes": "索引冲突",
    "context overflow": "上下文溢出",
    "recursive context inclusion": "上下文递归包含",
    "loading remote context failed": "加载远程上下文失败",
    "loading document failed": "加载文档失败",
    "list of lists": "列表中嵌套列表",
    "multiple context link headers": "有多个上下文 Link 头",
    "invalid JSON-LD syntax": "JSON-LD 语法无效",
}
"""The JSON-LD 1.1 API error codes (pyld's ``code``); pyld's own English message is dropped."""


def _jsonld_error(value: str) -> _Segs:
    """``<pyld's message> (<JSON-LD error code>)``: the code, translated and kept as written."""
    match = re.fullmatch(r"(?P<message>.*) \((?P<code>[^()]+)\)", value, re.DOTALL)
    if match is None:
        return _en(value)
    code = match["code"]
    if code in _JSONLD_CODES:
        return _zh(f"{_JSONLD_CODES[code]}（'{code}'）")
    return _zh(f"错误代码 '{code}'")


_KINDS: dict[str, tuple[str, Callable[[str], _Segs]]] = {
    "jsonld": (r".+", _jsonld_error),
    "zlib": (r".+", _zlib_error),
    "xmlerr": (r".+", _xml_error),
    "label": (_LABEL_RE, _proof_label),
    "what": (
        r"The key \S+ \(described at \S+\)|The key at \S+|The key in the JWT header",
        _key_what,
    ),
    "included": (r"Included credential \d+ of \d+(?: “.*?”)? \(\$\S*\)", _included_label),
    "msg": (r".+", _message),
    "detail": (r".+", _nested_detail),
    "summary": (r".+", _summary),
    "title": (_TITLES_RE, _title),
    "purpose": (r"revocation|suspension", _closed(_PURPOSE)),
    "purposes": (_VALUE, _purposes),
    "past": (r"revoked|suspended", _closed(_PAST)),
    "skind": ("|".join(re.escape(k) for k in _STRUCTURE_KIND), _closed(_STRUCTURE_KIND)),
    "inner": ("|".join(re.escape(k) for k in _FORMAT_INNER), _closed(_FORMAT_INNER)),
    "idtype": (r"\S+", _closed(_IDENTITY_TYPE)),
    "bound": (r"the JWT (?:nbf|exp) claim|\w+", _closed(_BOUND_NAME)),
    "types": (_VALUE, _type_list),
    "sources": (_VALUE, _sources),
    "jsonerr": (r".+", _json_error),
    "url": (r"\S+", _verbatim),
    "id": (r"\S+", _verbatim),
    "path": (r"\$\S*", _verbatim),
    "n": (r"-?\d+", _verbatim),
    "date": (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", _verbatim),
    "v": (_VALUE, _verbatim),
    "w": (r"\S+", _verbatim),
    "q": (r"'[^']*'(?:, '[^']*')*", _verbatim),
}
"""Placeholder kind → (what it captures, how it is written back)."""


# --- Rules --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    template: str
    prefix: str
    """The literal text the English sentence starts with (a cheap pre-filter), or ``""``."""


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _rule(english: str, chinese: str) -> _Rule:
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(english):
        parts.append(re.escape(english[last : match.start()]))
        name = match[1]
        regex, _ = _KINDS[name.rstrip("0123456789")]
        parts.append(f"(?P<{name}>{regex})")
        last = match.end()
    parts.append(re.escape(english[last:]))
    first = _PLACEHOLDER.search(english)
    prefix = english[: first.start()] if first else english
    return _Rule(re.compile("".join(parts), re.DOTALL), chinese, prefix)


def _render(rule: _Rule, match: re.Match[str]) -> _Segs:
    out: list[Segment] = []
    last = 0
    for placeholder in _PLACEHOLDER.finditer(rule.template):
        _append(out, _zh(rule.template[last : placeholder.start()]))
        name = placeholder[1]
        _, translate = _KINDS[name.rstrip("0123456789")]
        _append(out, translate(match[name]))
        last = placeholder.end()
    _append(out, _zh(rule.template[last:]))
    return tuple(out)


_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z0-9$'\"]")


def _append(out: list[Segment], segments: _Segs) -> None:
    """Add ``segments``, with a space where Chinese text meets a Latin value (as the catalogue
    writes "开放徽章 3.0 结构"); the values themselves are never touched."""
    for segment in segments:
        if not segment.text:
            continue
        if out and out[-1].text:
            left, right = out[-1].text[-1], segment.text[0]
            if (_CJK.match(left) and _LATIN.match(right)) or (
                _LATIN.match(left) and _CJK.match(right)
            ):
                out[-1] = Segment(out[-1].text + " ", out[-1].lang)
        out.append(segment)


_SENTENCES: list[tuple[str, str]] = [
    # format (sniff.py)
    ("The input is a {w} image baked with {inner}.", "输入内容是内嵌{inner}的 {w} 图片。"),
    ("The input is {inner}.", "输入内容是{inner}。"),
    (
        "The input is neither bytes, text nor a JSON object.",
        "输入内容既不是字节、文本，也不是 JSON 对象。",
    ),
    (
        "The input is {n} bytes, more than the {n2} this verifier reads.",
        "输入内容有 {n} 字节，超过了本验证器可读取的上限（{n2} 字节）。",
    ),
    (
        "The input is not recognised: it is neither JSON, a JWT, a PNG nor an SVG image.",
        "无法识别输入内容：它既不是 JSON、JWT，也不是 PNG 或 SVG 图片。",
    ),
    ("The SVG image is not valid UTF-8 text.", "该 SVG 图片不是有效的 UTF-8 文本。"),
    ("The {w} image holds no readable credential: {msg}", "该 {w} 图片中没有可读取的证书：{msg}。"),
    ("This is an Open Badges 2.0 badge.", "这是一枚开放徽章 2.0 徽章。"),
    ("This is an Open Badges 2.0 assertion.", "这是一份开放徽章 2.0 断言（Assertion）。"),
    (
        "This verifier checks Open Badges 3.0 credentials only; use an Open Badges 2.0 "
        "validator for it.",
        "本验证器只检查开放徽章 3.0 证书；请使用开放徽章 2.0 验证器检查它。",
    ),
    ("The JWT cannot be read: {msg}", "无法读取该 JWT：{msg}。"),
    (
        "The input looks like JSON but cannot be parsed: {jsonerr}",
        "输入内容看似 JSON，但无法解析：{jsonerr}。",
    ),
    ("The credential is too large to verify safely: {msg}", "证书过大，无法安全地验证：{msg}。"),
    (
        "The JSON is not an object, so it cannot be a credential.",
        "该 JSON 不是对象，因此不可能是证书。",
    ),
    # structure (structure.py, clr.py)
    ("The credential has the structure of {skind}.", "证书具有{skind}的结构。"),
    (
        "It uses the older VC Data Model 1.1, which Open Badges 3.0 accepts for verification "
        "only; new credentials use VC Data Model 2.0.",
        "它使用较旧的 VC 数据模型 1.1，开放徽章 3.0 仅在验证时接受该版本；新证书应使用 VC 数据模型 2.0。",
    ),
    (
        "The first @context must be {url} (or {url2} for older credentials), but it is {v}.",
        "第一个 @context 必须是 {url}（较旧的证书可为 {url2}），但实际是 {v}。",
    ),
    (
        "The @context does not include an Open Badges 3.0 context.",
        "@context 中没有开放徽章 3.0 的上下文。",
    ),
    (
        "It uses an older Open Badges context ({url}) instead of {url2}.",
        "它使用较旧的开放徽章上下文（{url}），而不是 {url2}。",
    ),
    ("The type does not include VerifiableCredential.", "type 中没有 VerifiableCredential。"),
    (
        "The type must include {types}, but it lists {types2}.",
        "type 必须包含 {types}，但其中列出的是 {types2}。",
    ),
    ("The status list names no issuer.", "状态列表未指明颁发机构。"),
    (
        "The issuer must be a Profile object with an id and type (it is missing).",
        "issuer 必须是带有 id 和 type 的 Profile 对象（当前缺失）。",
    ),
    (
        "The issuer must be a Profile object with an id and type, not a bare identifier.",
        "issuer 必须是带有 id 和 type 的 Profile 对象，而不能只是一个标识符。",
    ),
    ("The issuer has no id.", "issuer 没有 id。"),
    ("The credentialSubject is missing or is not an object.", "credentialSubject 缺失或不是对象。"),
    (
        "The credentialSubject type must include {w}.",
        "credentialSubject 的 type 必须包含 {w}。",
    ),
    (
        "The credentialSubject has neither an id nor an identifier.",
        "credentialSubject 既没有 id，也没有 identifier。",
    ),
    ("The credentialSubject has no achievement.", "credentialSubject 没有 achievement。"),
    ("The endorsement subject has no id.", "背书的主体（credentialSubject）没有 id。"),
    ("The status list subject has no {w}.", "状态列表的主体（credentialSubject）没有 {w}。"),
    (
        "{path} must have type {w}, but has {types}.",
        "{path} 的 type 必须是 {w}，但实际为 {types}。",
    ),
    ("{path} must have type {w}.", "{path} 的 type 必须是 {w}。"),
    ("The credential has no id.", "证书没有 id。"),
    ("The credential has no {w}.", "证书没有 {w}。"),
    ("The endorsement has no name.", "背书没有 name。"),
    ("The CLR has no name.", "CLR 没有 name。"),
    (
        "The @context does not include the CLR 2.0 context ({url}).",
        "@context 中没有 CLR 2.0 的上下文（{url}）。",
    ),
    (
        "It uses an older CLR context ({url}) instead of {url2}.",
        "它使用较旧的 CLR 上下文（{url}），而不是 {url2}。",
    ),
    (
        "The ClrSubject includes no credentials: verifiableCredential must list at least one "
        "AchievementCredential.",
        "ClrSubject 不包含任何证书：verifiableCredential 必须至少列出一个 AchievementCredential。",
    ),
    ("{path} is not a credential object.", "{path} 不是证书对象。"),
    ("{path} is not an Association object.", "{path} 不是 Association 对象。"),
    (
        "{path}.associationType is {v}, not one of {types}.",
        "{path}.associationType 为 {v}，不在允许的取值 {types} 之中。",
    ),
    ("{path} is missing.", "{path} 缺失。"),
    (
        "{path} refers to the achievement {id}, which is not part of this record (it is "
        "neither listed in credentialSubject.achievement nor awarded by an included "
        "credential).",
        "{path} 引用的成就 {id} 不属于此记录（它既未列在 credentialSubject.achievement "
        "中，也不是由所包含的证书授予的）。",
    ),
    # schema (schema.py)
    (
        "No schema is listed; the built-in Open Badges rules were applied.",
        "未列出任何架构；已应用内置的开放徽章规则。",
    ),
    (
        "credentialSchema entries {v} lack a string id or type.",
        "credentialSchema 的条目 {v} 缺少字符串形式的 id 或 type。",
    ),
    (
        "These schemas were not checked, because this verifier does not fetch and run remote "
        "schemas: {v}.",
        "以下架构未经检查，因为本验证器不会下载并运行远程架构：{v}。",
    ),
    (
        "Only official Open Badges / CLR schemas are listed; their rules were applied locally.",
        "只列出了官方的开放徽章 / CLR 架构；已在本地应用其规则。",
    ),
    (
        "The credential does not conform to the schema it lists, {url}: {msg}.",
        "证书不符合其列出的架构 {url}：{msg}。",
    ),
    (
        "{url} passes only when single values are read as one-item arrays (as JSON-LD reads "
        "them); plain JSON consumers may stumble on: {msg}",
        "{url} 仅在把单个值读作单元素数组时才能通过（JSON-LD 即如此读取）；"
        "按普通 JSON 读取的程序可能会在以下几处出错：{msg}。",
    ),
    (
        "The bundled official schema(s) {v} were applied and pass.",
        "已应用内置的官方架构 {v}，并且通过。",
    ),
    # proof (proof.py)
    (
        "The credential carries no proof, so nothing shows who issued it.",
        "证书没有附带任何证明，因此无从表明由谁颁发。",
    ),
    (
        "There is no proof, so there is no key to check.",
        "证书没有证明，因此没有可检查的密钥。",
    ),
    ("{label} could not be checked: {msg}", "{label}无法检查：{msg}。"),
    ("{label} cannot be checked: {msg}", "{label}无法检查：{msg}。"),
    ("{label} is not valid: {msg}", "{label}无效：{msg}。"),
    (
        "{label} verifies only with the key its own header supplies (jwk), which is not one of "
        "the issuer's keys: it does not show who issued the credential.",
        "{label}只能用其自身头部提供的密钥（jwk）验证，而该密钥不是颁发机构的密钥：它无法表明由谁颁发了此证书。",
    ),
    (
        "{label} verifies only with the key its own header supplies (jwk), which could not be "
        "matched with the issuer's keys: it does not show who issued the credential.",
        "{label}只能用其自身头部提供的密钥（jwk）验证，而该密钥无法与颁发机构的密钥相匹配：它无法表明由谁颁发了此证书。",
    ),
    ("{label} verifies.", "{label}验证通过。"),
    ("{label} is not an object.", "{label}不是对象。"),
    (
        "{label} (type {v}) is malformed: it lacks {types}.",
        "{label}（类型 {v}）格式错误：缺少 {types}。",
    ),
    (
        "{label} uses {v}, which this verifier does not support.",
        "{label}使用了 {v}，本验证器不支持该类型。",
    ),
    (
        "{label} has purpose {v}; a credential needs assertionMethod.",
        "{label}的用途为 {v}；证书的证明用途必须是 assertionMethod。",
    ),
    ("{label} has no usable key: {msg}", "{label}没有可用的密钥：{msg}。"),
    (
        "{label} names a {w} key; the suite needs {w2}.",
        "{label}指向 {w} 密钥；该密码套件需要 {w2} 密钥。",
    ),
    (
        "{label} does not match the credential: it was changed after signing, or signed with "
        "another key.",
        "{label}与证书内容不符：证书在签名后被修改过，或者是用另一个密钥签名的。",
    ),
    ("The verdict rests on {label}.", "结论以{label}为准。"),
    (
        "These properties are not defined by the credential's @context, so they are not "
        "covered by the signature: {v}.",
        "以下属性未在证书的 @context 中定义，因此不受签名保护：{v}。",
    ),
    ("No key could be obtained for any proof.", "无法为任何证明获取密钥。"),
    # issuer_key (keys.py)
    (
        "The key is written into the proof, but the issuer's document {url} could not be "
        "fetched to confirm it ({msg}).",
        "密钥写在证明之中，但无法获取颁发机构的文档 {url} 来确认它（{msg}）。",
    ),
    (
        "The key was taken from the JWT header (jwk) and accepted under the 1EdTech validator "
        "policy; the issuer's published keys were not consulted.",
        "密钥取自 JWT 头部（jwk），并按 1EdTech 验证器策略予以接受；未查阅颁发机构公布的密钥。",
    ),
    (
        "The issuer is the did:key {id}, which is its own key.",
        "颁发机构就是 did:key {id}，即其自身的密钥。",
    ),
    (
        "The proof uses the did:key {id}, which is not the issuer ({id2}); it was accepted only "
        "under the 1EdTech validator policy, which does not compare them.",
        "证明使用 did:key {id}，它不是颁发机构（{id2}）；只因 1EdTech 验证器策略不比较二者才被接受。",
    ),
    (
        "The proof uses the did:key {id}, but a did:key speaks only for itself and the issuer "
        "is {id2}.",
        "证明使用 did:key {id}，但 did:key 只能代表其自身，而颁发机构是 {id2}。",
    ),
    (
        "The credential names no issuer, so no key can be its key.",
        "证书未指明颁发机构，因此任何密钥都不能算作颁发机构的密钥。",
    ),
    (
        "The key was read from the verification method's #fragment, whose address equals the "
        "issuer id; accepted under the 1EdTech validator policy without consulting the "
        "issuer's documents.",
        "密钥读取自验证方法的 #片段，其地址与颁发机构标识相同；已按 1EdTech 验证器策略接受，未查阅颁发机构的文档。",
    ),
    (
        "The verification method belongs to {id}, not to the issuer {id2}.",
        "验证方法属于 {id}，而不属于颁发机构 {id2}。",
    ),
    (
        "The issuer's document {id} does not list the key named in the proof.",
        "颁发机构的文档 {id} 未列出证明中指定的密钥。",
    ),
    (
        "The key {id} is published by the issuer {id2} in its own document.",
        "密钥 {id} 由颁发机构 {id2} 在其自己的文档中公布。",
    ),
    (
        "The key {id} is controlled by nobody named, not by the issuer {id2}.",
        "密钥 {id} 未指明控制者，不受颁发机构 {id2} 控制。",
    ),
    (
        "The key {id} is controlled by {id2}, not by the issuer {id3}.",
        "密钥 {id} 由 {id2} 控制，而不是由颁发机构 {id3} 控制。",
    ),
    (
        "The key was fetched from {url} and accepted under the 1EdTech validator policy, which "
        "does not check that the issuer publishes it.",
        "密钥获取自 {url}，并按 1EdTech 验证器策略予以接受；该策略不检查颁发机构是否公布了此密钥。",
    ),
    (
        "{what} could not be matched with the issuer's keys: {msg}",
        "{what}无法与颁发机构的密钥相匹配：{msg}。",
    ),
    (
        "{what} is one of the keys the issuer publishes ({sources}).",
        "{what}是颁发机构公布的密钥之一（{sources}）。",
    ),
    (
        "{what} is not among the keys the issuer publishes ({sources}).",
        "{what}不在颁发机构公布的密钥之中（{sources}）。",
    ),
    # revocation / suspension (status.py)
    (
        "The credentialStatus holds a reference instead of a status entry object, so the "
        "status could not be checked.",
        "credentialStatus 中是一个引用而不是状态条目对象，因此无法检查状态。",
    ),
    (
        "The issuer publishes no {purpose} status for this credential.",
        "颁发机构没有为此证书发布{purpose}状态。",
    ),
    ("The {purpose} status could not be checked: {msg}", "{purpose}状态无法检查：{msg}。"),
    (
        "The {purpose} status uses {v}, a mechanism this verifier cannot read.",
        "{purpose}状态使用 {v}，本验证器无法读取这种机制。",
    ),
    (
        "The status entry names no status list address, so it was not checked.",
        "状态条目未给出状态列表的地址，因此未作检查。",
    ),
    (
        "The status list at {url} is for {purposes}, not {purpose}.",
        "位于 {url} 的状态列表用于{purposes}，而不是{purpose}。",
    ),
    (
        "The issuer has {past} this credential (status list {url}, entry {v}).",
        "颁发机构已{past}此证书（状态列表 {url}，条目 {v}）。",
    ),
    (
        "The credential is not {past} (status list {url}, entry {v}).",
        "此证书未被{past}（状态列表 {url}，条目 {v}）。",
    ),
    (
        "The status list at {url} could not be trusted: {title}: {detail}",
        "位于 {url} 的状态列表不可信：{title}：{detail}",
    ),
    (
        "The status list at {url} is issued by {id}, not by the credential's issuer {id2}, and "
        "its key is not one the credential's issuer publishes.",
        "位于 {url} 的状态列表由 {id} 颁发，而不是由证书的颁发机构 {id2} 颁发，且其密钥并非证书颁发机构公布的密钥。",
    ),
    (
        "The revocation list entry or the credential has no id to look up.",
        "撤销列表条目或证书没有可供查找的 id。",
    ),
    (
        "The issuer has revoked this credential (revocation list {url}).",
        "颁发机构已撤销此证书（撤销列表 {url}）。",
    ),
    (
        "The credential is not listed as revoked in the issuer's revocation list {url} (an "
        "unsigned document, trusted as served).",
        "颁发机构的撤销列表 {url} 未将此证书列为已撤销（该列表是未签名的文档，按服务器提供的内容采信）。",
    ),
    # validity (validity.py)
    ("{bound} is not a valid date-time ({v}).", "{bound} 不是有效的日期时间（{v}）。"),
    ("It is not valid before {date} ({bound}).", "此证书在 {date} 之前尚未生效（{bound}）。"),
    ("It expired on {date} ({bound}).", "此证书已于 {date} 过期（{bound}）。"),
    ("It is valid from {date} until {date2}.", "此证书的有效期为 {date} 至 {date2}。"),
    ("It is valid from {date} and does not expire.", "此证书自 {date} 起生效，不会过期。"),
    ("It is valid until {date}.", "此证书的有效期至 {date}。"),
    ("It states no validity period.", "此证书未声明有效期。"),
    # credentials (included.py)
    ("The record includes no credentials.", "此记录不包含任何证书。"),
    (
        "The record includes {n} credentials, more than the {n2} this verifier checks, so they "
        "were not verified.",
        "此记录包含 {n} 份证书，超过了本验证器检查的上限（{n2} 份），因此未对它们进行验证。",
    ),
    ("The entry is not a credential object.", "该条目不是证书对象。"),
    ("{included} failed ({summary}).", "{included}未通过检查（{summary}）。"),
    (
        "{included} could not be fully checked ({summary}).",
        "{included}未能完成全部检查（{summary}）。",
    ),
    (
        "The included credential verified on its own: {v}.",
        "所含的证书已单独验证通过：{v}。",
    ),
    (
        "All {n} included credentials verified, each on its own: {v}.",
        "所含的全部 {n} 份证书均已各自单独验证通过：{v}。",
    ),
    # endorsements (endorsements.py, pipeline.py)
    (
        "The endorsement at {path} endorses {v}, which is not the object that carries it nor "
        "anything inside that object.",
        "位于 {path} 的背书所针对的是 {v}，既不是携带该背书的对象，也不在该对象之内。",
    ),
    (
        "The endorsement at {path} failed ({summary}).",
        "位于 {path} 的背书未通过检查（{summary}）。",
    ),
    (
        "The endorsement at {path} could not be fully checked ({summary}).",
        "位于 {path} 的背书未能完成全部检查（{summary}）。",
    ),
    ("1 endorsement verified.", "1 项背书已验证通过。"),
    ("{n} endorsements verified.", "{n} 项背书均已验证通过。"),
    ("Endorsements nested this deeply are not followed.", "嵌套层级过深的背书不再继续检查。"),
    ("The document is nested too deeply.", "该文档嵌套过深。"),
    # recipient (recipient.py)
    ("The credential subject id matches.", "证书主体的 id 相符。"),
    ("The recipient's {idtype} matches the credential.", "获得者的{idtype}与证书相符。"),
    (
        "The credential was not issued to the recipient given.",
        "此证书并非颁发给所指定的获得者。",
    ),
    # any check (pipeline.py) and the page itself (app/web/credential_page.py)
    (
        "This check could not be completed because of an unexpected error ({w}); the "
        "credential is not accepted on this point.",
        "由于意外错误（{w}），此项检查未能完成；证书在这一项上不予认可。",
    ),
    ("The verifier failed; try again shortly.", "验证器出错；请稍后再试。"),
]
"""Every sentence the verifier writes into a check's detail, English → zh-CN."""


_FRAGMENTS: list[tuple[str, str]] = [
    # a fetch through the resolver (openbadges/resolver.py, app/core/fetch.py,
    # app/verification/resolver.py); keys.py's own ResolutionError / KeyFormatError messages
    (
        "{url} was not fetched: verification is running offline",
        "未获取 {url}：验证在离线状态下进行",
    ),
    ("{url} was not fetched: foreign URLs are not enabled", "未获取 {url}：未启用获取外部网址"),
    ("{url} returned JSON that is not an object", "{url} 返回的 JSON 不是对象"),
    ("{url} could not be fetched (not found)", "无法获取 {url}（未找到）"),
    ("{url} did not return JSON: {jsonerr}", "{url} 返回的不是 JSON：{jsonerr}"),
    ("{url} returned JSON nested too deeply", "{url} 返回的 JSON 嵌套过深"),
    ("The host name {v} has no address", "主机名 {v} 没有地址"),
    ("The host name {v} could not be resolved", "无法解析主机名 {v}"),
    ("{url} did not return a JSON object", "{url} 返回的不是 JSON 对象"),
    ("{url} redirected without a Location", "{url} 要求重定向，但没有给出 Location"),
    ("Fetching {url} took too long", "获取 {url} 耗时过长"),
    ("{url} did not return JSON", "{url} 返回的不是 JSON"),
    ("{url} did not answer in time", "{url} 未能及时响应"),
    ("{url} could not be reached ({w})", "无法连接 {url}（{w}）"),
    ("{url} could not be read ({w})", "无法读取 {url}（{w}）"),
    ("{url} answered HTTP {n}", "{url} 返回了 HTTP {n}"),
    ("{url} is not a document this service publishes", "{url} 不是本服务发布的文档"),
    ("{url} not found", "未找到 {url}"),
    (
        "The verification method {v} is not a URI, so it cannot name a key",
        "验证方法 {v} 不是 URI，因此无法指向密钥",
    ),
    (
        "The JWT header names neither a key id (kid) nor a key (jwk), so there is no key to "
        "check the signature with",
        "JWT 头部既未给出密钥标识（kid），也未给出密钥（jwk），因此没有可用于检查签名的密钥",
    ),
    (
        "The issuer {id} is neither a did:key, a did:web nor a web address, so this verifier "
        "cannot look up its keys",
        "颁发机构 {id} 既不是 did:key、did:web，也不是网址，因此本验证器无法查找其密钥",
    ),
    (
        "The key is named by a did:{w} identifier, a DID method this verifier cannot resolve "
        "(supported: did:key, did:web)",
        "密钥由 did:{w} 标识符指定，本验证器无法解析这种 DID 方法（支持 did:key、did:web）",
    ),
    (
        "The verification method {v} uses a scheme that cannot be dereferenced (supported: "
        "did:key, did:web, https)",
        "验证方法 {v} 使用的协议无法解引用（支持 did:key、did:web、https）",
    ),
    ("The document {id} holds no verification method {id2}", "文档 {id} 中没有验证方法 {id2}"),
    # DID documents and keys (openbadges/did.py, _did_document.py, _jwk.py, keys.py, multibase.py)
    ("not a did:key: {v}", "不是 did:key：{v}"),
    (
        "did:key must be 'did:key:<multibase>' with no path or query: {v}",
        "did:key 必须是 'did:key:<multibase>' 形式，且不带路径或查询：{v}",
    ),
    ("did:key fragment #{w} does not match the key {w2}", "did:key 的片段 #{w} 与密钥 {w2} 不符"),
    ("did:web port {v} is not a valid port number", "did:web 的端口 {v} 不是有效的端口号"),
    (
        "did:web must name a domain, not an IP address: {v}",
        "did:web 必须指定域名，而不能是 IP 地址：{v}",
    ),
    ("did:web domain {v} is not a valid host name", "did:web 的域名 {v} 不是有效的主机名"),
    (
        "did:web path segment {v} is empty, a dot segment, or holds a slash",
        "did:web 的路径段 {v} 为空、是点号路径段，或含有斜杠",
    ),
    ("not a did:web: {v}", "不是 did:web：{v}"),
    (
        "did:web has an empty identifier, a path or a query: {v}",
        "did:web 的标识为空，或带有路径或查询：{v}",
    ),
    (
        "expected an http(s) URL with a host, got {v}",
        "应为带主机名的 http(s) 网址，实际为 {v}",
    ),
    (
        "a did:web URL cannot carry a query, fragment or user info: {v}",
        "did:web 网址不能带有查询、片段或用户信息：{v}",
    ),
    (
        "a verification method must be an object with a string 'id'",
        "验证方法必须是带有字符串 'id' 的对象",
    ),
    ("verification method {v} has no string {v2}", "验证方法 {v} 没有字符串形式的 {v2}"),
    (
        "Ed25519VerificationKey2020 holds a non-Ed25519 key",
        "Ed25519VerificationKey2020 中的密钥不是 Ed25519 密钥",
    ),
    ("unsupported verification method type {v}", "不支持的验证方法类型 {v}"),
    ("verification method {v} has no publicKeyJwk object", "验证方法 {v} 没有 publicKeyJwk 对象"),
    (
        "verification method {id} is not listed under {w}",
        "验证方法 {id} 未列在 {w} 之下",
    ),
    (
        "unsupported JWK kty {v} (expected RSA, EC or OKP)",
        "不支持的 JWK kty {v}（应为 RSA、EC 或 OKP）",
    ),
    ("JWK member {v} is missing or not a string", "JWK 成员 {v} 缺失或不是字符串"),
    ("a JWK must be a JSON object, got {w}", "JWK 必须是 JSON 对象，实际为 {w}"),
    (
        "JWK contains private key members {v}; only public JWKs are accepted",
        "JWK 含有私钥成员 {v}；只接受公钥 JWK",
    ),
    ("unsupported JWK curve {v} for kty {v2}", "kty {v2} 不支持 JWK 曲线 {v}"),
    (
        "P-256 JWK coordinates 'x' and 'y' must be 32 bytes each",
        "P-256 JWK 的坐标 'x' 和 'y' 必须各为 32 字节",
    ),
    ("P-256 JWK is not a point on the curve: {v}", "P-256 JWK 不是曲线上的点：{v}"),
    ("unsupported JWK kty {v} for a thumbprint", "不支持为 kty {v} 计算指纹"),
    ("JWK member {v}: {msg}", "JWK 成员 {v}：{msg}"),
    ("Ed25519 JWK 'x' must be 32 bytes, got {n}", "Ed25519 JWK 的 'x' 必须为 32 字节，实际为 {n}"),
    ("invalid RSA JWK: {v}", "无效的 RSA JWK：{v}"),
    ("unsupported key kind {w}", "不支持的密钥种类 {w}"),
    ("unsupported elliptic curve {w}; only P-256 is", "不支持的椭圆曲线 {w}；只支持 P-256"),
    ("RSA key of {n} bits; at least {n2} needed", "RSA 密钥长度为 {n} 位；至少需要 {n2} 位"),
    ("Ed25519 public key must be 32 bytes, got {n}", "Ed25519 公钥必须为 32 字节，实际为 {n}"),
    ("publicKeyMultibase holds a private key; refusing it", "publicKeyMultibase 中是私钥；已拒绝"),
    ("a JWK Set must be an object with a 'keys' array", "JWK Set 必须是带有 'keys' 数组的对象"),
    (
        "JWK Set holds {n} keys with kid {v}; expected exactly one",
        "JWK Set 中有 {n} 个 kid 为 {v} 的密钥；应当恰好只有一个",
    ),
    (
        "P-256 Multikey must hold a 33-byte compressed point, got {n} bytes",
        "P-256 Multikey 必须是 33 字节的压缩点，实际为 {n} 字节",
    ),
    ("P-256 Multikey is not a point on the curve: {v}", "P-256 Multikey 不是曲线上的点：{v}"),
    (
        "RSA keys have no Multikey encoding; publish them as JWK",
        "RSA 密钥没有 Multikey 编码；请以 JWK 形式公布",
    ),
    (
        "unsupported multibase prefix {v} (only 'z' and 'u' are supported)",
        "不支持的 multibase 前缀 {v}（只支持 'z' 和 'u'）",
    ),
    ("expected a base64url string, got {w}", "应为 base64url 字符串，实际为 {w}"),
    ("not valid base64url (wrong alphabet or length)", "不是有效的 base64url（字符或长度错误）"),
    ("multibase value is empty or not a string", "multibase 值为空或不是字符串"),
    ("multibase value must start with {v}, found {v2}", "multibase 值必须以 {v} 开头，实际为 {v2}"),
    (
        "unknown multicodec prefix {w}; expected one of {v}",
        "未知的 multicodec 前缀 {w}；应为以下之一：{v}",
    ),
    ("not valid base64url: {v}", "不是有效的 base64url：{v}"),
    (
        "invalid base58btc character in multibase value: {v}",
        "multibase 值中有无效的 base58btc 字符：{v}",
    ),
    # Data Integrity proofs (openbadges/proofs/data_integrity.py, ecdsa_sd.py)
    (
        "proof type {v} with cryptosuite {v2} is not supported (supported: {v3})",
        "不支持类型为 {v}、密码套件为 {v2} 的证明（支持：{v3}）",
    ),
    (
        "proof type {v} with cryptosuite {v2} is not {w}",
        "类型为 {v}、密码套件为 {v2} 的证明不是 {w}",
    ),
    ("created {v} is not an XML Schema dateTime", "created {v} 不是 XML Schema dateTime"),
    ("verificationMethod {v} is not an absolute IRI", "verificationMethod {v} 不是绝对 IRI"),
    ("a proof must be a JSON object", "证明必须是 JSON 对象"),
    ("expected a JSON object, got {w}", "应为 JSON 对象，实际为 {w}"),
    (
        "a mandatory index points past the revealed statements",
        "某个强制披露索引超出了已披露语句的范围",
    ),
    (
        "proofValue must be a multibase base64url ('u') string",
        "proofValue 必须是 multibase base64url（'u'）字符串",
    ),
    ("proofValue is not base64url: {v}", "proofValue 不是 base64url：{v}"),
    (
        "proofValue does not start with the derived-proof header d95d01",
        "proofValue 不是以派生证明头 d95d01 开头",
    ),
    (
        "a derived proof value is a CBOR array of five components",
        "派生证明值应是包含五个组成部分的 CBOR 数组",
    ),
    ("baseSignature must be 64 bytes", "baseSignature 必须为 64 字节"),
    ("publicKey must be a byte string", "publicKey 必须是字节串"),
    ("signatures must be an array of 64-byte strings", "signatures 必须是由 64 字节串组成的数组"),
    ("labelMap must be a map", "labelMap 必须是映射"),
    ("labelMap must map integers to byte strings", "labelMap 必须把整数映射到字节串"),
    ("labelMap values must be 32-byte HMAC labels", "labelMap 的值必须是 32 字节的 HMAC 标签"),
    ("mandatoryIndexes must be an array of integers", "mandatoryIndexes 必须是整数数组"),
    ("trailing bytes after the CBOR value", "CBOR 值之后有多余的字节"),
    ("CBOR value is truncated", "CBOR 值不完整"),
    ("indefinite or reserved CBOR length", "CBOR 长度不定或为保留值"),
    ("CBOR nesting is too deep for a derived proof", "CBOR 嵌套过深，不可能是派生证明"),
    ("CBOR array is longer than the data", "CBOR 数组长度超出了数据"),
    ("CBOR map is longer than the data", "CBOR 映射长度超出了数据"),
    ("CBOR map keys must be distinct integers", "CBOR 映射的键必须是互不相同的整数"),
    ("unexpected CBOR major type {n} in a derived proof", "派生证明中出现了意外的 CBOR 主类型 {n}"),
    (
        "publicKey must be a P-256 Multikey (compressed point)",
        "publicKey 必须是 P-256 Multikey（压缩点）",
    ),
    ("publicKey is not a point on P-256: {v}", "publicKey 不是 P-256 曲线上的点：{v}"),
    ("blank node _:{w} has no entry in the label map", "空白节点 _:{w} 在标签映射中没有条目"),
    # VC-JWT (openbadges/proofs/jwt.py, _jwt_claims.py)
    ("JWT {w} must be a JSON object", "JWT 的 {w} 必须是 JSON 对象"),
    (
        "JOSE header 'alg' is missing or 'none'; unsigned tokens are refused",
        "JOSE 头部的 'alg' 缺失或为 'none'；不接受未签名的令牌",
    ),
    ("unsupported JWS alg {v}; expected one of {v2}", "不支持的 JWS 算法 {v}；应为以下之一：{v2}"),
    (
        "JOSE header 'crit' names extensions this verifier does not understand",
        "JOSE 头部的 'crit' 列出了本验证器不理解的扩展",
    ),
    (
        "JOSE header 'typ' must be 'JWT' when present (OB 3.0), got {v}",
        "JOSE 头部的 'typ' 如果出现必须为 'JWT'（开放徽章 3.0），实际为 {v}",
    ),
    (
        "JOSE header 'jwk' must be a public JWK object; it must not contain 'd'",
        "JOSE 头部的 'jwk' 必须是公钥 JWK 对象，不得含有 'd'",
    ),
    ("JOSE header 'kid' must be a string", "JOSE 头部的 'kid' 必须是字符串"),
    ("a JWT must be a string, got {w}", "JWT 必须是字符串，实际为 {w}"),
    ("JWT is longer than {n} characters", "JWT 长度超过 {n} 个字符"),
    (
        "not a compact JWS: expected three base64url parts 'header.payload.signature'",
        "不是紧凑 JWS：应由三段 base64url 组成（'header.payload.signature'）",
    ),
    (
        "no public key to verify the JWT with (kid not resolved, no jwk header?)",
        "没有可用于验证 JWT 的公钥（kid 无法解析，且头部没有 jwk？）",
    ),
    ("alg {w} needs a {w2} key, got {w3}", "算法 {w} 需要 {w2} 密钥，实际为 {w3}"),
    ("JWT signature does not verify with the given key", "JWT 签名无法用所给密钥验证"),
    ("JWT {w} has duplicate member names", "JWT 的 {w} 中有重复的成员名"),
    ("JWT {w} is not valid base64url", "JWT 的 {w} 不是有效的 base64url"),
    ("JWT {w} is refused: {msg}", "JWT 的 {w} 被拒绝：{msg}"),
    ("JWT {w} is not valid JSON: {jsonerr}", "JWT 的 {w} 不是有效的 JSON：{jsonerr}"),
    ("JWT signature is not valid base64url", "JWT 签名不是有效的 base64url"),
    ("JWT 'vc' claim must be a JSON object", "JWT 的 'vc' 声明必须是 JSON 对象"),
    (
        "JOSE header 'jwk' is not a usable public key: {msg}",
        "JOSE 头部的 'jwk' 不是可用的公钥：{msg}",
    ),
    ("expected a date-time string", "应为日期时间字符串"),
    ("not an xsd:dateTime: {v}", "不是 xsd:dateTime：{v}"),
    ("NumericDate {v} is out of range", "NumericDate {v} 超出范围"),
    ("JWT claim {v} is missing; OB 3.0 requires it", "缺少 JWT 声明 {v}；开放徽章 3.0 要求提供"),
    (
        "JWT claim {v} is {v2} but the credential says {v3}",
        "JWT 声明 {v} 为 {v2}，但证书中为 {v3}",
    ),
    ("JWT claim {v} must be a NumericDate (seconds)", "JWT 声明 {v} 必须是 NumericDate（秒数）"),
    ("JWT claim {v} ({v2}) does not equal {w} ({v3})", "JWT 声明 {v}（{v2}）与 {w}（{v3}）不相等"),
    ("credential has no {w} to compare with 'nbf'", "证书没有可与 'nbf' 比较的 {w}"),
    # status lists (openbadges/status_list.py, _bitstring.py)
    ("position {n} is outside a list of {n2}", "位置 {n} 超出了长度为 {n2} 的列表"),
    (
        "the entry's statusPurpose {v} is not the list's ({v2})",
        "条目的 statusPurpose {v} 与列表的（{v2}）不一致",
    ),
    (
        "the status list is not a BitstringStatusListCredential with a credentialSubject",
        "该状态列表不是带有 credentialSubject 的 BitstringStatusListCredential",
    ),
    (
        "the revocation list has neither a revokedCredential nor a revokedCredentials array, "
        "so it cannot say whether the credential is revoked",
        "该撤销列表既没有 revokedCredential 数组，也没有 revokedCredentials 数组，因此无法说明证书是否已撤销",
    ),
    ("{w} must be an array", "{w} 必须是数组"),
    ("each {w} entry needs a string id", "每个 {w} 条目都需要字符串形式的 id"),
    (
        "encodedList must be multibase base64url (start with 'u')",
        "encodedList 必须是 multibase base64url 编码（以 'u' 开头）",
    ),
    ("encodedList must be a non-empty string", "encodedList 必须是非空字符串"),
    ("the status list inflates beyond {n} bytes", "该状态列表解压后超过 {n} 字节"),
    ("encodedList GZIP data is truncated", "encodedList 的 GZIP 数据不完整"),
    (
        "a status list needs at least {n} bits in whole bytes, got {n2}",
        "状态列表至少需要 {n} 位且为整字节，实际为 {n2}",
    ),
    ("index {n} is outside the list of {n2} bits", "索引 {n} 超出了 {n2} 位的列表"),
    (
        "the status list has {n} bits, fewer than the minimum {n2}",
        "该状态列表有 {n} 位，少于最低要求的 {n2} 位",
    ),
    ("encodedList is not valid base64url", "encodedList 不是有效的 base64url"),
    ("encodedList is not GZIP data: {zlib}", "encodedList 不是 GZIP 数据：{zlib}"),
    (
        "statusListIndex must be a non-negative base-10 integer, got {v}",
        "statusListIndex 必须是非负的十进制整数，实际为 {v}",
    ),
    (
        "status must be a hex string like '0x1', got {v}",
        "status 必须是形如 '0x1' 的十六进制字符串，实际为 {v}",
    ),
    (
        "the entry id must not equal statusListCredential",
        "条目的 id 不得与 statusListCredential 相同",
    ),
    (
        "statusMessage is required when statusSize is greater than 1",
        "statusSize 大于 1 时必须提供 statusMessage",
    ),
    # the Open Badges model (openbadges/model/: pydantic's messages and the model's own)
    (
        "{v} is not a property of {w} (it has no extension point)",
        "{v} 不是 {w} 的属性（{w} 没有扩展点）",
    ),
    ("must be an absolute URI with a scheme, got {v}", "必须是带协议的绝对 URI，实际为 {v}"),
    ("datetime must carry a time zone", "日期时间必须带有时区"),
    (
        "must be an ISO 8601 date-time like 2024-01-01T00:00:00Z, got {v}",
        "必须是形如 2024-01-01T00:00:00Z 的 ISO 8601 日期时间，实际为 {v}",
    ),
    (
        "must carry a time zone (e.g. a trailing Z), got {v}",
        "必须带有时区（例如末尾的 Z），实际为 {v}",
    ),
    ("is not a valid date-time: {v}", "不是有效的日期时间：{v}"),
    ("must be a date like 2001-12-31, got {v}", "必须是形如 2001-12-31 的日期，实际为 {v}"),
    ("type must not be empty", "type 不得为空"),
    ("type must include {v}", "type 必须包含 {v}"),
    ("Field required", "缺少必需的字段"),
    ("Input should be a valid string", "应为字符串"),
    ("Input should be a valid integer", "应为整数"),
    ("Input should be a valid dictionary", "应为对象"),
    ("Input should be a valid list", "应为数组"),
    ("Input should be {v}", "输入应为 {v}"),
    ("Input should be greater than or equal to {n}", "应大于或等于 {n}"),
    # baked images (openbadges/baking.py)
    ("the PNG carries no Open Badges credential", "该 PNG 中没有开放徽章证书"),
    ("the SVG carries no Open Badges credential", "该 SVG 中没有开放徽章证书"),
    ("not a PNG file (bad signature)", "不是 PNG 文件（文件签名错误）"),
    ("a PNG text chunk inflates beyond the limit", "某个 PNG 文本块解压后超出上限"),
    ("the SVG is larger than {n} characters", "该 SVG 超过 {n} 个字符"),
    ("the document's root element is not <svg>", "文档的根元素不是 <svg>"),
    ("the SVG binds the prefix 'openbadges' to {v}", "该 SVG 把前缀 'openbadges' 绑定到了 {v}"),
    ("the PNG is truncated (no IEND chunk)", "该 PNG 不完整（没有 IEND 块）"),
    (
        "PNG chunk {v} claims {n} bytes, beyond the end of the file",
        "PNG 块 {v} 声称有 {n} 字节，超出了文件末尾",
    ),
    ("PNG chunk {v} has a bad CRC", "PNG 块 {v} 的 CRC 校验错误"),
    ("the PNG does not start with an IHDR chunk", "该 PNG 不是以 IHDR 块开头"),
    ("a compressed PNG text chunk is corrupt", "某个压缩的 PNG 文本块已损坏"),
    ("an iTXt chunk is truncated", "某个 iTXt 块不完整"),
    ("a PNG text chunk is not valid text", "某个 PNG 文本块不是有效的文本"),
    ("the SVG uses forbidden XML features: {v}", "该 SVG 使用了禁止的 XML 功能：{v}"),
    ("the SVG is not well-formed XML: {xmlerr}", "该 SVG 不是格式正确的 XML：{xmlerr}"),
    ("the baked JSON does not parse: {jsonerr}", "内嵌的 JSON 无法解析：{jsonerr}"),
    ("the baked JSON nests too deeply to be a credential", "内嵌的 JSON 嵌套过深，不可能是证书"),
    # JSON-LD and limits (openbadges/jsonld/)
    ("JSON-LD processing failed: {jsonld}", "JSON-LD 处理失败：{jsonld}"),
    (
        "document produces {n} blank nodes, more than {n2}",
        "文档产生了 {n} 个空白节点，超过上限 {n2}",
    ),
    (
        "canonicalisation needs more than {n} steps: the blank nodes form a poisoned graph "
        "(RDFC-1.0 §4.8, dataset poisoning)",
        "规范化需要超过 {n} 步：空白节点构成了恶意图（RDFC-1.0 §4.8，数据集投毒）",
    ),
    ("canonicalisation took longer than {v} s", "规范化耗时超过 {v} 秒"),
    ("document nests deeper than {n} levels", "文档嵌套超过 {n} 层"),
    ("document is {n} bytes, more than the limit of {n2}", "文档有 {n} 字节，超过上限 {n2}"),
    ("document is not serialisable JSON: {v}", "文档无法序列化为 JSON：{v}"),
    ("document has more than {n} JSON values", "文档中的 JSON 值超过 {n} 个"),
    ("@context lists {n} entries, more than {n2}", "@context 列出了 {n} 项，超过上限 {n2}"),
    (
        "JSON-LD context {v} is not bundled, and contexts are never fetched (the bundled ones "
        "are listed in openbadges.jsonld.loader.CONTEXT_FILES)",
        "JSON-LD 上下文 {v} 未随附，而上下文从不联网获取（随附的上下文列在 "
        "openbadges.jsonld.loader.CONTEXT_FILES 中）",
    ),
    (
        "not defined by the document's @context, or not an absolute IRI, so it would not be "
        "signed as written (define it in a context, fix the IRI, or remove it): {v}",
        "未在文档的 @context 中定义，或不是绝对 IRI，因此不会按所写内容被签名"
        "（请在上下文中定义、修正 IRI 或删除它）：{v}",
    ),
    (
        "not signed the same way by every JSON-LD processor: {msg}",
        "并非每个 JSON-LD 处理器都以相同方式对其签名：{msg}",
    ),
    (
        "{v} is beyond ±(2^53 - 1): JavaScript reads it rounded, so the signature would not "
        "verify there (write it as a string)",
        "{v} 超出了 ±(2^53 - 1)：JavaScript 读取时会取整，因此签名在那里无法验证（请把它写成字符串）",
    ),
    (
        "@direction is signed differently by jsonld.js (i18n-datatype) and pyld (dropped); use "
        "a plain string or a @language value object",
        "jsonld.js（i18n-datatype）与 pyld（丢弃）对 @direction 的签名方式不同；"
        "请使用普通字符串或 @language 值对象",
    ),
    (
        "{v} is not a well-formed BCP 47 language tag (such as en or zh-Hant-TW)",
        "{v} 不是格式正确的 BCP 47 语言标记（例如 en 或 zh-Hant-TW）",
    ),
    ("{w} is not a JSON number", "{w} 不是 JSON 数字"),
    (
        "{v} is smaller than 1e-6 in magnitude: jsonld.js signs such numbers as integers (1e-7 "
        "as 0); write it as a string",
        "{v} 的绝对值小于 1e-6：jsonld.js 会把这样的数字当作整数签名（1e-7 记为 0）；请把它写成字符串",
    ),
    (
        "{v} lies exactly halfway between two 16-digit forms, which pyld and JavaScript round "
        "differently; write it as a string",
        "{v} 恰好位于两个 16 位有效数字形式的正中间，pyld 与 JavaScript 的舍入方式不同；请把它写成字符串",
    ),
    # JSON Schema (openbadges/schemas/_validator.py: jsonschema's messages)
    ("{v} is a required property", "缺少必需的属性 {v}"),
    ("{v} is not of type {q}", "{v} 的类型不是 {q}"),
    ("{v} is not valid under any of the given schemas", "{v} 不符合任何一个给定的模式"),
    ("{v} is valid under each of {v2}", "{v} 同时符合 {v2} 中的多个模式"),
    ("{v} is not one of {v2}", "{v} 不是 {v2} 之一"),
    ("{v} was expected", "应为 {v}"),
    ("{v} does not match {q}", "{v} 与 {q} 不匹配"),
    ("{v} is not a {q}", "{v} 不是有效的 {q}"),
    ("{v} should be non-empty", "{v} 不应为空"),
    ("{v} is too short", "{v} 太短"),
    ("{v} is too long", "{v} 太长"),
    ("{v} does not contain items matching the given schema", "{v} 中没有符合给定模式的项"),
    ("{v} is not allowed for {v2}", "{v2} 中不允许有 {v}"),
    (
        "Additional properties are not allowed ({v} was unexpected)",
        "不允许有额外的属性（多出了 {v}）",
    ),
    (
        "Additional properties are not allowed ({v} were unexpected)",
        "不允许有额外的属性（多出了 {v}）",
    ),
    ("{v} has non-unique elements", "{v} 中有重复的元素"),
]
"""Error messages the library and the service's fetcher embed into sentences (lower-case
fragments, no final stop), English → zh-CN."""

_SENTENCE_RULES = [_rule(en, zh) for en, zh in _SENTENCES]
_FRAGMENT_RULES = [_rule(en, zh) for en, zh in _FRAGMENTS]


def _apply(rules: list[_Rule], text: str) -> _Segs | None:
    """The translation by the first rule of ``rules`` that translates ``text`` best."""
    best: _Segs | None = None
    for rule in rules:
        if rule.prefix and not text.startswith(rule.prefix):
            continue
        match = rule.pattern.fullmatch(text)
        if match is None:
            continue
        segments = _render(rule, match)
        if best is None or _en_chars(segments) < _en_chars(best):
            best = segments
            if not _en_chars(best):
                break
    return best


def _fragment(text: str) -> _Segs | None:
    return _apply(_FRAGMENT_RULES, text) or _apply(_SENTENCE_RULES, text + ".")


# --- Cutting a detail into sentences -------------------------------------------------------

_CUT = re.compile(r"(?<=[.)。])\s+|\s+(?=[A-Z“])")
_MESSAGE_CUT = re.compile(r"(?<=[.)。])\s+|\s+(?=[A-Z$“]|https?://|did:)")
"""Inside an error message a new message may also start with a URL (the resolver's messages
of several fetches are joined by spaces, without stops)."""
_MAX_SPAN = 40
"""The most cut points one sentence may span (a nested detail inside a sentence has several)."""


MAX_TRANSLATED = 4_000
"""Longer details (a record of hundreds of failing credentials, or a hostile document's echo on
/verify) stay English."""
MAX_STEPS = 50_000
"""Characters of candidate sentences tried per detail. The search (every cut point, spans of up
to ``_MAX_SPAN`` cuts, nested messages translated in turn) tries a few hundred characters for
what the verifier writes, but grows fast on text built to repeat sentence starts (each try
costs ~5 µs a character in the rules' regular expressions); past this many the detail stays
English, so no detail costs more than ~0.3 s (a security review measured 16 s for 4,000 such
characters before the bound)."""


class _OverBudget(Exception):
    """The detail took more than :data:`MAX_STEPS` tries."""


class _Budget(threading.local):
    left: int | None = None


_budget = _Budget()


@lru_cache(maxsize=1024)
def _translate_text(text: str, *, fragments: bool = False) -> tuple[_Segs, int]:
    """Translate a run of sentences; return the segments and how many characters stay English.

    From each cut point, the shortest sentence that translates completely is taken (so an
    open-ended message placeholder does not swallow the sentences after it, and a nested
    detail in parentheses is taken whole once its closing parenthesis is reached). When none
    does, the one leaving the least English is taken, else one cut's worth stays English —
    unless the sentence before, taken longer, translates completely (a message ending in a
    parenthesis, then another message). With ``fragments`` (inside an error message), lower-case error fragments count too.
    """
    cutter = _MESSAGE_CUT if fragments else _CUT
    cuts = sorted({0, len(text), *(m.end() for m in cutter.finditer(text))})
    chosen: list[tuple[int, int, _Segs, int]] = []  # (start, end, segments, English chars)
    i = 0
    while i < len(cuts) - 1:
        found = _sentence_from(text, cuts, i, i + 1, fragments=fragments)
        if found is None and chosen:
            # Nothing starts here: perhaps the sentence before runs on (a message that ends in
            # a parenthesis, followed by another message). Try it longer, completely translated.
            start, end, _, _ = chosen[-1]
            longer = _sentence_from(text, cuts, start, end + 1, fragments=fragments)
            if longer is not None and not longer[2]:
                chosen[-1] = (start, *longer)
                i = longer[0]
                continue
        if found is None:
            piece = text[cuts[i] : cuts[i + 1]].strip()
            found = (i + 1, _en(piece), len(piece))
        chosen.append((i, *found))
        i = found[0]
    out = tuple(segment for _, _, segments, _ in chosen for segment in segments)
    return out, sum(english for _, _, _, english in chosen)


def _sentence_from(
    text: str, cuts: list[int], i: int, first: int, *, fragments: bool
) -> tuple[int, _Segs, int] | None:
    """From cut ``i``, the shortest sentence ending at cut ``first`` or later that translates
    completely, else the one leaving the least English; ``(end, segments, English chars)``."""
    best: tuple[int, _Segs, int] | None = None
    for j in range(first, min(len(cuts), i + 1 + _MAX_SPAN)):
        candidate = _piece(text[cuts[i] : cuts[j]].strip(), fragments=fragments)
        if candidate is None:
            continue
        english = _en_chars(candidate)
        if best is None or english < best[2]:
            best = (j, candidate, english)
        if not english:
            break
    return best


def _piece(piece: str, *, fragments: bool) -> _Segs | None:
    """The translation of one sentence, or ``None`` when no rule knows it."""
    if not piece:
        return ()
    left = _budget.left
    if left is not None:
        if left <= 0:
            raise _OverBudget
        _budget.left = left - len(piece)
    candidate = _apply(_SENTENCE_RULES, piece)
    if candidate is None and fragments:
        candidate = _apply(_FRAGMENT_RULES, piece.removesuffix("."))
        if candidate is not None:  # messages joined by spaces: end each one
            candidate = (*candidate, *_zh("。"))
    return candidate
