"""Personal data found by what the values look like: Chinese names, mainland phone numbers and
resident ID numbers, in whole columns and inside free text.

Shared by the flags set when a layer is loaded (:mod:`gridtool.layers`) and by the masking of every
export (:mod:`gridtool.maps.privacy`), so that import and export agree. Written by hand: the rules
are the public formats — GB 11643 ID numbers (15 digits of the first-generation cards; 18 with a
check character), mainland mobile numbers (``1[3-9]`` + 9 digits, optionally ``+86``) and landline
numbers with an area code (``010``/``02x`` + 8 digits, ``0xxx`` + 7–8) — and the common surnames,
which no library ships in a form these checks can use.

What counts:

- a **name**: 2–4 Han characters that start with a common surname (4 only after a compound surname
  such as 欧阳), not ending in a place word (村 庄 路 社区 …: ``王家湾`` is a place); a column is a
  name column when most of its values look like this (:func:`name_share`);
- in **free text** (备注 "张三 13812345678 身份证110105199001011234"): mobile and landline numbers,
  18-digit ID numbers with a valid date and either a valid check character or an ID label just
  before them (身份证, 证件 …: a typo'd ID written as one is still one), 15-digit ID numbers with a
  valid date, and — in a cell that holds such a number or a label like 户主/姓名 — the words of that
  cell that look like names;
- an **address** of a party member (a header such as 现居住地址, 家庭住址, 住址: :func:`address_columns`),
  but not the household roster's 地址, which places a household and names no one.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

#: Common single-character surnames (the most frequent ~250 of the 2020 census lists).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车"
    "项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛"
    "仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜"
    "海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜"
    "羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信"
    "展阴昝智幸奉植衡富尧闭由")
#: Compound surnames (复姓) that start 3- and 4-character names.
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐",
    "夏侯", "端木", "独孤", "南宫", "西门", "轩辕", "申屠", "澹台", "呼延", "万俟", "闻人", "钟离", "赫连",
    "百里", "东郭", "公羊", "太史", "第五", "拓跋", "完颜", "爱新"))
#: Last characters of place, road and organisation names: such a word is not a person's name.
PLACE_ENDINGS = frozenset(
    "村庄镇乡街路巷道区县市省州组社屯湾坝沟寨铺桥岭坡塘院所站局委会场厂店馆楼号苑府寺庙宫堂港口门岛洲"
    "井坪垭坳堡营集埠关家里弄坊峪洼滩渡码头舍墅厦校处队部室司行")
# (Not 山 江 海 林 田 河 湖 园 城: as common at the end of given names as of places.)
#: Words that say the text next to them is a person's name or number.
NAME_LABELS = ("户主姓名", "联系人姓名", "户主", "姓名", "联系人", "业主", "房主", "屋主", "负责人", "监护人",
               "法人", "本人", "家属", "网格员", "网格长",
               # the people of a 110 call's 简要警情
               "报警人", "报案人", "求助人", "来电人", "当事人", "事主", "受害人", "被害人", "嫌疑人", "违法人员")
#: Verbs that follow a name in police narratives (报警人张伟称…, 事主李娜反映…): cut words there.
NARRATIVE_VERBS = ("报称", "反映", "来电", "报警称", "报警", "诉称", "自称", "称")
ID_LABELS = ("身份证", "证件", "身份号", "公民身份", "sfz", "id")

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_ALL_HAN = re.compile(f"^[{_HAN}]+$")
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# Digits or Latin letters either side mean a longer code (an account, a 19-digit division code).
_ID18 = re.compile(rf"(?<![\dA-Za-z])[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dXx](?![\dA-Za-z])")
_ID15 = re.compile(rf"(?<![\dA-Za-z])[1-9]\d{{5}}\d{{2}}{_DATE}\d{{3}}(?![\dA-Za-z])")
_MOBILE = re.compile(r"(?<![\dA-Za-z+])(?:(?:\+|00)?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![\dA-Za-z])")
_LANDLINE = re.compile(r"(?<![\dA-Za-z])(?:[(（]0\d{2,3}[)）]|0\d{2,3})[-\s]?[2-9]\d{6,7}(?![\dA-Za-z])")
_LABEL_SPLIT = re.compile("|".join(sorted(NAME_LABELS + ("电话", "手机", "手机号", "号码", "联系方式", "身份证号",
                                                          "身份证", "证件号", "住址", "地址", "备注", "家庭",
                                                          "妻子", "丈夫", "儿子", "女儿", "父亲", "母亲")
                                         + NARRATIVE_VERBS,
                                         key=len, reverse=True)))
#: A cheap first look before the regular expressions: 7 digits in a row or a label word.
PREFILTER = re.compile(r"\d{7}|\d{3,4}[-\s]\d{4}|" + "|".join(NAME_LABELS + ID_LABELS[:4]))
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_ok(number: str) -> bool:
    """True when an 18-character ID number's last character is its GB 11643 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def is_id_number(value: Any) -> bool:
    """The whole ``value`` is a 居民身份证号 by its form alone: 18 characters with a birth date and a
    valid check character, or the old 15 digits with a date. Not any 18-digit string: a 三调 标识码
    ``BSM``, an account number or a 警情编号 such as ``320102202611060001`` (a date inside, but the
    wrong check character) is not personal. A typo'd ID under an ID header is found by its header."""
    text = str(value).strip()
    return bool((_ID18.fullmatch(text) and id_check_ok(text)) or _ID15.fullmatch(text))


#: Header words of a call's or a case's own number (警情编号, 案件编号, 接警单号, 流水号 …): the key an
#: officer looks a call up by, never a person's ID, even when one in eleven passes the ID check by
#: chance. Only words that name a call or a case: a bare 编号, 序号, 党员编号 or 编码 of a roster is
#: any number, and the ID numbers some rosters keep there are masked like any others.
RECORD_NUMBER_WORDS = ("警情编号", "案件编号", "接警编号", "出警编号", "报警编号", "警情号", "案件号", "案号",
                       "接警单号", "警单号", "流水号", "case_no", "caseno", "case_id", "case_number",
                       "incident_no", "incident_id", "incident_number")
#: Header words of an ID-card number: these win over :data:`RECORD_NUMBER_WORDS` (身份证编号).
ID_HEADER_WORDS = ("身份证", "证件", "公民身份", "idcard", "id_card", "sfz")


def has_id_form(value: Any) -> bool:
    """18 characters with a birth date (check character right or not), or the old 15 digits."""
    text = str(value).strip()
    return bool(_ID18.fullmatch(text) or _ID15.fullmatch(text))


def is_id_column(values: Iterable[Any], header: Any = "") -> bool:
    """A column of ID numbers by content (its header did not say so).

    Most values have the form of an ID (:func:`has_id_form`) and the check characters pass far
    more often than chance (at least 40% of the values; random digits pass one time in eleven), so
    a roster column with a few typo'd IDs is one, while a column of 警情编号 ``32010220261106xxxx`` is
    not. A column headed as a record's number (:func:`is_record_number_header`) needs five values
    or more besides: one incident number passing the check by chance proves nothing.
    """
    texts = [str(v).strip() for v in values]
    texts = [t for t in texts if t]
    if not texts or (is_record_number_header(header) and len(texts) < 5):
        return False
    form = sum(map(has_id_form, texts)) / len(texts)
    checked = sum(map(is_id_number, texts)) / len(texts)
    return form > 0.5 and checked >= 0.4


def is_record_number_header(header: Any) -> bool:
    """``警情编号`` ``案件编号`` ``接警编号`` ``流水号`` → True; ``身份证号`` ``身份证编号`` ``备注`` → False."""
    k = re.sub(r"[\s\-]+", "_", str(header).strip().lower())
    if any(w in k for w in ID_HEADER_WORDS):
        return False
    return any(w in k for w in RECORD_NUMBER_WORDS)


def looks_like_name(value: Any) -> bool:
    """``张三`` ``欧阳娜娜`` ``李 四`` → True; ``王家湾`` ``石柱村`` ``东方广场`` ``学校`` → False."""
    if not isinstance(value, str):
        return False
    s = re.sub(r"[\s·•]", "", value)
    if not 2 <= len(s) <= 4 or not _ALL_HAN.match(s) or s[-1] in PLACE_ENDINGS:
        return False
    if s[:2] in COMPOUND_SURNAMES:
        return len(s) >= 3
    return len(s) <= 3 and s[0] in SURNAMES


def name_share(values: Iterable[Any]) -> float:
    """The share of the non-empty text values that look like names (0 when there is none)."""
    texts = [v for v in values if isinstance(v, str) and v.strip()]
    if not texts:
        return 0.0
    return sum(map(looks_like_name, texts)) / len(texts)


def is_name_column(values: Iterable[Any], *, share: float = 0.6, sample: int = 500) -> bool:
    """Most of the (first ``sample``) values of a column look like names, and not all are one."""
    texts = [v.strip() for v in values if isinstance(v, str) and v.strip()][:sample]
    return bool(texts) and len(set(texts)) > (1 if len(texts) > 2 else 0) and name_share(texts) >= share


#: gridtool's own key columns: codes, villages and categories, never a person's name.
KEY_COLUMNS = frozenset(("geometry", "src_id", "hh", "village", "village_code", "grid", "subgrid", "grid_parts",
                         "subgrid_parts",
                         "code", "category", "category_raw", "kind", "class", "status", "note", "mode"))


def name_columns(df, *, skip: Iterable[str] = ()) -> list[str]:
    """Text columns of a table about people whose values mostly look like names (by content).

    ``skip``: columns known to hold something else (the source of the village column, 所属村);
    :data:`KEY_COLUMNS` are always skipped.
    """
    import pandas as pd

    skip = KEY_COLUMNS | set(skip)
    out = []
    for col in df.columns:
        if col in skip:
            continue
        s = df[col]
        if (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)) \
                and is_name_column(s.head(2000).tolist()):
            out.append(col)
    return out


def _labelled(text: str, start: int, labels: Iterable[str], before: int = 8) -> bool:
    head = text[max(0, start - before):start].lower()
    return any(label in head for label in labels)


def personal_spans(text: str) -> list[tuple[int, int, str]]:
    """Where personal numbers are in ``text``: ``(start, end, kind)``, kind ``phone`` or ``id_number``."""
    spans: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in spans)

    # A number shaped like an ID with a wrong check character (a typo) is still someone's ID when
    # the text labels it, or names a person (户主李四，1101052000040449X0): masked then as well.
    about_someone = any(label in text for label in NAME_LABELS)
    for m in _ID18.finditer(text):
        if id_check_ok(m.group(0)) or about_someone or _labelled(text, m.start(), ID_LABELS):
            spans.append((m.start(), m.end(), "id_number"))
    for m in _ID15.finditer(text):
        if free(*m.span()):
            spans.append((m.start(), m.end(), "id_number"))
    for rx in (_MOBILE, _LANDLINE):
        for m in rx.finditer(text):
            if free(*m.span()):
                spans.append((m.start(), m.end(), "phone"))
    return sorted(spans)


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Words of ``text`` that look like names (runs of Han characters cut at label words)."""
    out = []
    for run in _HAN_RUN.finditer(text):
        cuts = [run.start()]
        for m in _LABEL_SPLIT.finditer(text, run.start(), run.end()):
            cuts += [m.start(), m.end()]
        cuts.append(run.end())
        for a, b in zip(cuts[::2], cuts[1::2]):
            if b > a and looks_like_name(text[a:b]):
                out.append((a, b))
    return out


def scrub_text(text: str, *, mask_number: Callable[[str, str], str],
               mask_name: Callable[[str], str]) -> str:
    """``text`` with its personal numbers (and, in a cell that has one or a name label, the words
    that look like names) replaced by ``mask_number(value, kind)`` / ``mask_name(value)``."""
    spans = [(a, b, k) for a, b, k in personal_spans(text)]
    if spans or any(label in text for label in NAME_LABELS):
        taken = [(a, b) for a, b, _ in spans]
        spans += [(a, b, "name") for a, b in _name_spans(text)
                  if all(b <= s or a >= e for s, e in taken)]
    if not spans:
        return text
    out, last = [], 0
    for a, b, kind in sorted(spans):
        out.append(text[last:a])
        value = text[a:b]
        out.append(mask_name(value) if kind == "name" else mask_number(value, kind))
        last = b
    out.append(text[last:])
    return "".join(out)


#: Header words of a person's address (现居住地址, 家庭住址, 户籍地址, 住址 …). Personal in rolls of
#: people named one by one (the 党员名册): next to the member's name, their address says who they
#: are. Not in the household roster, whose 地址 places a household and names nobody by itself.
ADDRESS_WORDS = ("地址", "住址", "居住地", "住所", "address", "addr")
#: Layers (roles) whose address columns are personal: rolls of named people.
ADDRESS_ROLES = ("party_members",)


def address_columns(columns: Iterable[Any]) -> list[str]:
    """Columns headed as an address (:data:`ADDRESS_WORDS`): ``现居住地址`` ``家庭住址`` ``住址``."""
    out = []
    for c in columns:
        k = str(c).strip().lower()
        if c not in KEY_COLUMNS and any(w in k for w in ADDRESS_WORDS):
            out.append(c)
    return out


def text_findings(values: Iterable[Any]) -> tuple[int, int, list[str]]:
    """What masking finds inside the free text of a column (备注 "联系人张三 138 1234 5678"): the
    number of non-empty text cells that hold personal data, of non-empty text cells, and the kinds
    found (``phone``, ``id_number``, ``name``: names only beside a number or a label such as 联系人).

    Exactly what :func:`scrub_text` masks, so the columns import reports are those exports change.
    Each distinct value is looked at once (rosters repeat their notes)."""
    counts: dict[str, int] = {}
    for v in values:
        if isinstance(v, str) and v.strip():
            counts[v] = counts.get(v, 0) + 1
    hit, kinds = 0, set()
    for v, n in counts.items():
        if not might_hold_personal(v):
            continue
        seen: set[str] = set()
        scrub_text(v, mask_number=lambda x, kind: seen.add(kind) or x, mask_name=lambda x: seen.add("name") or x)
        if seen:
            hit += n
            kinds |= seen
    order = ("phone", "id_number", "name")
    return hit, sum(counts.values()), [k for k in order if k in kinds]


def free_text_columns(df, *, skip: Iterable[str] = ()) -> dict[str, dict]:
    """Text columns of ``df`` (not ``skip``, not :data:`KEY_COLUMNS`) with personal data inside
    their free text, each with :func:`text_findings` as ``{"cells", "of", "found"}``.

    A column counts from its first such cell: masking changes that cell in every export, so the
    list of personal columns names it (with the share, for the user to judge). A column headed as
    a record's number (警情编号) is left to its own rule: its bare codes are keys, never masked."""
    import pandas as pd

    skip = KEY_COLUMNS | {"src_id"} | set(skip)
    out = {}
    for col in df.columns:
        s = df[col]
        if col in skip or is_record_number_header(col) or not (
                pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        hit, of, found = text_findings(s.tolist())
        if hit:
            out[col] = {"cells": hit, "of": of, "found": found}
    return out


def might_hold_personal(text: Any) -> bool:
    """Cheap test before :func:`scrub_text` (most cells of most columns have no digits or labels)."""
    return isinstance(text, str) and PREFILTER.search(text) is not None


__all__ = ["ADDRESS_ROLES", "ADDRESS_WORDS", "COMPOUND_SURNAMES", "address_columns", "KEY_COLUMNS", "NAME_LABELS", "RECORD_NUMBER_WORDS", "PLACE_ENDINGS", "SURNAMES", "has_id_form", "id_check_ok",
           "is_id_column", "is_id_number", "is_name_column", "is_record_number_header", "looks_like_name", "might_hold_personal", "name_columns", "name_share",
           "free_text_columns", "personal_spans", "scrub_text", "text_findings"]
