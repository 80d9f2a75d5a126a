"""Vocabulary and identifier helpers for the synthetic data generator.

Kept apart from `ingest.generate` so the checksum rules (GB 11643 resident ID,
GB 32100 unified social credit code) can be imported by tests and readers
without pulling in the generator.
"""
from __future__ import annotations

import random
from datetime import date

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_M = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博新亮峰振东海"
GIVEN_F = "芳娜敏静丽艳娟霞秀玲桂英华红梅琳洁燕萍雪慧莉倩婷颖琴云兰凤晶丹玉佳欣悦蕾宁月"

#: Resident-ID area codes (Beijing districts first: most people in a Beijing case file are local).
AREA_CODES = (
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
    "110112", "110113", "110114", "110115", "110116", "110117", "110228", "110229",
    "130102", "130602", "120101", "370102", "410102", "510104", "420102", "320102",
    "230102", "150102", "140105", "210102",
)
DISTRICTS = ("东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
             "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区")
STREETS = ("建国路", "长安街", "学院路", "中关村大街", "西直门外大街", "丰台北路", "黄村西大街",
           "兴华大街", "京开路", "通惠河北路", "回龙观西大街", "天通苑北街", "亦庄路", "旧宫东路",
           "清河中街", "广渠路", "望京街", "金融街", "劲松路", "马家堡西路")

#: (court name, case-number court code)
COURTS = (
    ("北京市东城区人民法院", "京0101"), ("北京市西城区人民法院", "京0102"),
    ("北京市朝阳区人民法院", "京0105"), ("北京市丰台区人民法院", "京0106"),
    ("北京市海淀区人民法院", "京0108"), ("北京市通州区人民法院", "京0112"),
    ("北京市昌平区人民法院", "京0114"), ("北京市大兴区人民法院", "京0115"),
)
PRISONS = (("北京市监狱", "11"), ("北京市第二监狱", "12"), ("北京市天河监狱", "13"),
           ("北京市良乡监狱", "14"), ("北京市潮白监狱", "15"), ("北京市延庆监狱", "16"))
TREATMENT_LEVELS = ("lenient", "ordinary", "probation", "strict")

#: (institution, card BIN) for bank accounts; the last one's statements come as a GB18030 export.
BANKS = (("中国工商银行", "622202"), ("中国建设银行", "621700"), ("中国银行", "621661"),
         ("招商银行", "622588"), ("北京银行", "621468"), ("交通银行", "622262"),
         ("中国农业银行", "622848"))
BANK2_INSTITUTION = "中国农业银行"
SECURITIES = ("中信证券", "华泰证券", "国泰君安证券", "银河证券")

COMPANY_WORDS = ("华信", "恒通", "鑫达", "盛世", "远航", "金桥", "润泽", "博瑞", "永安", "天成", "宏图",
                 "嘉禾", "瑞丰", "中盈", "汇源", "东方", "新锐", "佳和", "兴业", "众诚", "安泰", "晨光",
                 "明德", "海川", "福润", "通达", "泰和", "百川", "正元", "聚信")
INDUSTRIES = ("科技", "贸易", "建筑工程", "商贸", "物流", "餐饮管理", "文化传媒", "房地产开发",
              "投资管理", "装饰工程", "汽车销售", "医药", "信息技术", "劳务派遣")
SHOP_KINDS = ("超市", "便利店", "餐饮", "药房", "家电", "服装", "加油站", "生鲜", "书店", "五金")

CHANNELS = ("网银", "手机银行", "柜面", "ATM", "支付宝", "微信支付", "POS")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def id_number_valid(id_number: str) -> bool:
    """True when `id_number` is 18 characters with a correct GB 11643 check character."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    return id_check_char(id_number[:17]) == id_number[17].upper()


def id_number(area: str, birth: date, seq: int) -> str:
    """An 18-character resident ID: area, birth date, 3-digit sequence (odd = male), check."""
    first = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first + id_check_char(first)


def uscc(body17: str) -> str:
    """Unified social credit code (GB 32100) with its check character appended."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS))
    return body17 + USCC_CHARS[(31 - total % 31) % 31]


def person_name(rng: random.Random, gender: str, surname: str | None = None) -> str:
    """A plausible Chinese name (one- or two-character given name)."""
    pool = GIVEN_M if gender == "M" else GIVEN_F
    given = rng.choice(pool) if rng.random() < 0.3 else rng.choice(pool) + rng.choice(pool)
    return (surname or rng.choice(SURNAMES)) + given


def company_name(rng: random.Random, industry: str | None = None) -> str:
    return f"北京{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}{industry or rng.choice(INDUSTRIES)}有限公司"


def address(rng: random.Random) -> str:
    return (f"北京市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 300)}号院"
            f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 28)}{rng.randint(1, 4):02d}室")


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
