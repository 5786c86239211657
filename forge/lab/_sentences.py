"""The lab's example sentences, in Chinese (Simplified, segmented by hand) and English.

Chinese token lists are written out explicitly rather than segmented with
jieba: jieba keeps 苹果派 ("apple pie") as one word, but the claims need
苹果 as its own token in both 苹果派 and 苹果手机. Each Chinese example
carries its English counterpart.
"""

from __future__ import annotations

import itertools

__all__ = [
    "ANALOGIES",
    "LEFT_CONTEXT",
    "NEIGHBOUR_WORDS",
    "ONEHOT_EXAMPLES",
    "ORDER_PAIRS",
    "ORDER_SENTENCES",
    "ROLES",
    "SENSES",
    "zh_training_sentences",
]

# claim 4: sentence pairs with the same words in another order (tokens, English gloss)
ORDER_PAIRS: list[tuple[list[str], list[str], str, str]] = [
    (["我", "打", "你"], ["你", "打", "我"], "I hit you", "you hit me"),
    (["狗", "咬", "人"], ["人", "咬", "狗"], "the dog bites the man", "the man bites the dog"),
    (["猫", "追", "老鼠"], ["老鼠", "追", "猫"], "the cat chases the mouse", "the mouse chases the cat"),
    (["老师", "问", "学生"], ["学生", "问", "老师"], "the teacher asks the student", "the student asks the teacher"),
    (["the", "dog", "bit", "the", "man"], ["the", "man", "bit", "the", "dog"], "", ""),
    (["the", "police", "followed", "the", "soldier"], ["the", "soldier", "followed", "the", "police"], "", ""),
    (["the", "king", "saw", "the", "queen"], ["the", "queen", "saw", "the", "king"], "", ""),
]

# claim 4: more sentences to permute (besides ORDER_PAIRS and any corpus sample)
ORDER_SENTENCES: list[list[str]] = [
    s.split()
    for s in [
        "the government said on monday that the new law would help workers",
        "police arrested two men after the attack in the city",
        "the team won the match in the last minute",
        "she told the court that she had never seen the man before",
        "the company will cut jobs next year",
        "the minister met the leaders of the two parties",
        "the world is not a safe place for children",
        "he was born in a small town near the river",
        "the price of oil rose sharply last week",
        "many people lost their homes in the fire",
        "the war ended after four years of fighting",
        "the music of the film was written by a young man",
        "the first computer was very large and very slow",
        "the prime minister said the report was wrong",
        "our children need better schools and more teachers",
    ]
] + [
    s.split()
    for s in [
        "我 喜欢 吃 苹果",
        "他 在 银行 工作",
        "老师 给 学生 打 电话",
        "我们 明天 去 北京",
        "她 买 了 一个 苹果 手机",
        "孩子 在 河边 看 鱼",
        "妈妈 做 了 苹果 派",
        "警察 找到 了 那 只 狗",
    ]
]

# claim 3: (word, sense label, context tokens); the word appears once in each context
SENSES: list[tuple[str, str, list[str]]] = [
    ("apple", "fruit", ["she", "ate", "an", "apple", "and", "a", "banana"]),
    ("apple", "fruit", ["the", "apple", "tree", "in", "the", "garden", "had", "red", "fruit"]),
    ("apple", "company", ["apple", "released", "a", "new", "phone", "and", "computer"]),
    ("apple", "company", ["shares", "of", "apple", "and", "microsoft", "rose"]),
    ("bank", "river", ["they", "walked", "along", "the", "bank", "of", "the", "river"]),
    ("bank", "river", ["the", "boat", "reached", "the", "river", "bank"]),
    ("bank", "money", ["the", "bank", "raised", "interest", "rates"]),
    ("bank", "money", ["he", "took", "money", "out", "of", "the", "bank"]),
    ("plant", "factory", ["workers", "at", "the", "power", "plant", "went", "on", "strike"]),
    ("plant", "factory", ["the", "car", "plant", "will", "close", "next", "year"]),
    ("plant", "flora", ["water", "the", "plant", "and", "the", "flowers"]),
    ("plant", "flora", ["this", "plant", "has", "green", "leaves"]),
    ("play", "theatre", ["the", "play", "was", "performed", "in", "the", "theatre"]),
    ("play", "theatre", ["he", "wrote", "a", "play", "about", "the", "war"]),
    ("play", "game", ["the", "children", "play", "football", "in", "the", "park"]),
    ("play", "game", ["they", "play", "music", "every", "night"]),
    ("苹果", "fruit", ["我", "喜欢", "吃", "苹果"]),
    ("苹果", "fruit", ["妈妈", "做", "了", "苹果", "派"]),
    ("苹果", "company", ["她", "买", "了", "一个", "苹果", "手机"]),
    ("苹果", "company", ["苹果", "公司", "发布", "了", "新", "手机"]),
    ("打", "hit", ["我", "打", "你"]),
    ("打", "hit", ["狗", "打", "猫"]),
    ("打", "call", ["老师", "给", "学生", "打", "电话"]),
    ("打", "call", ["我", "明天", "打", "电话"]),
]
SENSE_GLOSS = {"苹果": "apple", "打": "hit / make (a call)"}

# claim 6: (tokens a, tokens b, index of the target word), same left context, different right context
LEFT_CONTEXT: list[tuple[list[str], list[str], int, str]] = [
    (["苹果", "派"], ["苹果", "手机"], 0, "apple pie / apple phone"),
    (["我", "打", "你"], ["我", "打", "电话"], 1, "I hit you / I make a phone call"),
    (
        ["妈妈", "做", "了", "苹果", "派"],
        ["妈妈", "做", "了", "苹果", "手机"],
        3,
        "mum made apple pie / an apple phone",
    ),
    (["apple", "pie"], ["apple", "phone"], 0, ""),
    (["the", "bank", "of", "the", "river"], ["the", "bank", "raised", "interest", "rates"], 1, ""),
    (["the", "play", "was", "long"], ["the", "play", "football"], 1, ""),
]

# claim 5: who did what to whom; the label is "a person acts on an animal" (vs the reverse)
ROLES = {
    "en": {
        "persons": [
            "man",
            "woman",
            "king",
            "queen",
            "boy",
            "girl",
            "child",
            "teacher",
            "doctor",
            "soldier",
            "police",
            "farmer",
            "mother",
            "father",
        ],
        "animals": [
            "dog",
            "horse",
            "bird",
            "lion",
            "cow",
            "fish",
            "wolf",
            "bear",
            "snake",
            "tiger",
            "cat",
            "pig",
            "sheep",
            "mouse",
        ],
        "verbs": ["saw", "hit", "followed", "attacked", "killed", "watched", "found", "bit", "caught", "helped"],
        "template": ["the", "{a}", "{v}", "the", "{b}"],
    },
    "zh": {
        "persons": ["我", "你", "他", "她", "老师", "学生", "医生", "警察", "孩子", "妈妈"],
        "animals": ["狗", "猫", "马", "鸟", "鱼", "老虎", "牛", "老鼠"],
        "verbs": ["打", "看", "追", "咬", "找", "叫", "怕", "救"],
        "template": ["{a}", "{v}", "{b}"],
    },
}

# claim 2
ANALOGIES: list[tuple[str, str, str, str]] = [
    ("king", "man", "woman", "queen"),
    ("father", "man", "woman", "mother"),
    ("paris", "france", "germany", "berlin"),
    ("london", "england", "france", "paris"),
    ("bigger", "big", "small", "smaller"),
    ("went", "go", "see", "saw"),
    ("国王", "男人", "女人", "王后"),
    ("北京", "中国", "日本", "东京"),
]
NEIGHBOUR_WORDS = ["king", "war", "music", "computer", "river", "money", "苹果", "老师", "狗"]
# claim 1: "apple" is as far from "banana" as from "spaceship"
ONEHOT_EXAMPLES = [
    ("apple", "banana"),
    ("apple", "spaceship"),
    ("king", "queen"),
    ("king", "carrot"),
    ("苹果", "香蕉"),
    ("苹果", "飞船"),
]

_ZH_EXTRA = [
    s.split()
    for s in [
        "我 喜欢 吃 香蕉",
        "他 喜欢 吃 苹果 和 香蕉",
        "苹果 手机 很 贵",
        "苹果 派 很 好吃",
        "苹果 公司 在 美国",
        "他 买 了 苹果 手机",
        "我 给 妈妈 打 电话",
        "他 每天 打 篮球",
        "孩子们 在 公园 打 篮球",
        "飞船 飞 到 月球",
        "国王 和 王后 住 在 宫殿",
        "男人 和 女人 都 来 了",
        "北京 是 中国 的 首都",
        "东京 是 日本 的 首都",
        "老师 在 学校 教 学生",
        "医生 在 医院 工作",
        "警察 抓 了 小偷",
        "学生 问 老师 问题",
        "狗 咬 了 一个 人",
        "猫 追 老鼠",
        "老鼠 怕 猫",
        "我们 明天 去 北京",
        "他 在 河边 钓 鱼",
        "她 在 银行 工作",
        "银行 在 河边",
    ]
]


def zh_training_sentences() -> list[list[str]]:
    """A small Simplified-Chinese corpus built from the lab's own sentences (offline fallback).

    Every Chinese example above, the extra sentences, and every who-did-what-to-whom
    sentence of the role task (both orders), so that each probe word is in the vocabulary.
    """
    out: list[list[str]] = []
    for a, b, _, _ in ORDER_PAIRS:
        if _is_zh(a):
            out += [a, b]
    out += [s for s in ORDER_SENTENCES if _is_zh(s)]
    out += [ctx for _, _, ctx in SENSES if _is_zh(ctx)]
    for a, b, _, _ in LEFT_CONTEXT:
        if _is_zh(a):
            out += [a, b]
    out += _ZH_EXTRA
    roles = ROLES["zh"]
    for p, v, animal in itertools.product(roles["persons"], roles["verbs"], roles["animals"]):
        out += [[p, v, animal], [animal, v, p]]
    return out


def _is_zh(tokens: list[str]) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for t in tokens for ch in t)


# English glosses, used in figure labels when no CJK font is installed (the report text keeps the Chinese)
ZH_GLOSS = {
    "苹果": "apple",
    "派": "pie",
    "手机": "phone",
    "我": "I",
    "你": "you",
    "打": "hit",
    "电话": "phone-call",
    "妈妈": "mum",
    "做": "make",
    "了": "(le)",
    "狗": "dog",
    "咬": "bite",
    "人": "man",
    "猫": "cat",
    "追": "chase",
    "老鼠": "mouse",
    "老师": "teacher",
    "问": "ask",
    "给": "to",
    "学生": "student",
}


def en_lab_sentences() -> list[list[str]]:
    """The lab's English sentences, plus one short sentence per role word ("the dog was there").

    Added to the recurrent encoders' training text so that every probe word is in their (small)
    vocabulary; the who-did-what-to-whom sentences themselves are not included.
    """
    out = [a for a, _, _, _ in ORDER_PAIRS if a[0].isascii()] + [b for _, b, _, _ in ORDER_PAIRS if b[0].isascii()]
    out += [s for s in ORDER_SENTENCES if s[0].isascii()]
    out += [ctx for w, _, ctx in SENSES if w.isascii()]
    out += [s for a, b, _, _ in LEFT_CONTEXT if a[0].isascii() for s in (a, b)]
    roles = ROLES["en"]
    out += [["the", w, "was", "there"] for w in roles["persons"] + roles["animals"]]
    out += [["they", v, "it"] for v in roles["verbs"]]
    return out
