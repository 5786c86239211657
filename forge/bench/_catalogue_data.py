"""The built-in benchmark datasets, as data: one record per dataset (read by :mod:`forge.bench._datasets`).

Each record gives the fields of a :class:`forge.bench.DatasetRecord` (``kind`` follows from ``format``):
``files`` relative to the data directory, ``urls`` the pinned download source of each file, ``sha256`` the
checksum of the files that have one, and ``group`` the name of a group usable in place of its members.
Nothing here is code: a new dataset is one more record.
"""

from __future__ import annotations

from typing import Any

RECORDS: list[dict[str, Any]] = [
    {
        "name": "wordsim353",
        "format": "pairs",
        "language": "en",
        "files": ["wordsim353/combined.tab"],
        "urls": [
            "https://raw.githubusercontent.com/benathi/word2gm/56bda7d964b2eede9b0280e7b9a3b9cdbb06fa38/evaluation_data/wordsim353/combined.tab"
        ],
        "sha256": {"wordsim353/combined.tab": "1edf400ed472e796b3be562cf7970b10d749a07874a96ddc77e75fd1006b446c"},
        "scale": [0, 10],
        "citation": "Finkelstein et al. (2002) Placing Search in Context: The Concept Revisited, ACM TOIS 20(1)",
        "description": "WordSim-353 combined, 353 pairs (relatedness and similarity mixed)",
        "gensim_file": "wordsim353.tsv",
        "gensim_sha256": "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
    },
    {
        "name": "wordsim353-sim",
        "format": "pairs",
        "language": "en",
        "files": ["wordsim353_sim_rel/EN-WS-353-SIM.txt"],
        "urls": [
            "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/94b3dd9fdbac7ed08dbee7179cd5ee464acf0594/data/word-sim/EN-WS-353-SIM.txt"
        ],
        "sha256": {
            "wordsim353_sim_rel/EN-WS-353-SIM.txt": "f1da938998863c94e53f72f984a5c6e215f0b46c323aae8f0f4930703a339107"
        },
        "scale": [0, 10],
        "citation": "Agirre et al. (2009) A Study on Similarity and Relatedness Using Distributional and WordNet-based Approaches, NAACL-HLT",
        "description": "WordSim-353 similarity split, 203 pairs",
    },
    {
        "name": "wordsim353-rel",
        "format": "pairs",
        "language": "en",
        "files": ["wordsim353_sim_rel/EN-WS-353-REL.txt"],
        "urls": [
            "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/94b3dd9fdbac7ed08dbee7179cd5ee464acf0594/data/word-sim/EN-WS-353-REL.txt"
        ],
        "sha256": {
            "wordsim353_sim_rel/EN-WS-353-REL.txt": "66a7c88100624d0a391605ff61ce84e11d11ee620d51ec0298da49592838f8fa"
        },
        "scale": [0, 10],
        "citation": "Agirre et al. (2009) A Study on Similarity and Relatedness Using Distributional and WordNet-based Approaches, NAACL-HLT",
        "description": "WordSim-353 relatedness split, 252 pairs",
    },
    {
        "name": "simlex999",
        "format": "pairs",
        "language": "en",
        "files": ["simlex999/SimLex-999.txt"],
        "urls": [
            "https://raw.githubusercontent.com/benathi/word2gm/56bda7d964b2eede9b0280e7b9a3b9cdbb06fa38/evaluation_data/SimLex-999/SimLex-999.txt"
        ],
        "sha256": {"simlex999/SimLex-999.txt": "ca00ff8515a36cde32d13c2b83def23f5a167b67db93ebfcfb7dae039ba22c0b"},
        "options": {"score_col": 3},
        "scale": [0, 10],
        "citation": "Hill, Reichart, Korhonen (2015) SimLex-999, Computational Linguistics 41(4)",
        "description": "SimLex-999, 999 pairs",
        "gensim_file": "simlex999.txt",
        "gensim_sha256": "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
        "gensim_options": {"score_col": 2},
    },
    {
        "name": "men",
        "format": "pairs",
        "language": "en",
        "files": ["men/MEN_dataset_natural_form_full"],
        "urls": [
            "https://raw.githubusercontent.com/benathi/word2gm/56bda7d964b2eede9b0280e7b9a3b9cdbb06fa38/evaluation_data/MEN/MEN_dataset_natural_form_full"
        ],
        "sha256": {
            "men/MEN_dataset_natural_form_full": "4596e169dd237228ca7701dde33585ca93263506ce7fca9de0f951aaab1aae36"
        },
        "scale": [0, 50],
        "citation": "Bruni, Tran, Baroni (2014) Multimodal Distributional Semantics, JAIR 49",
        "licence": "CC BY 2.0 (licence.txt)",
        "description": "MEN natural form, 3000 pairs",
    },
    {
        "name": "rw",
        "format": "pairs",
        "language": "en",
        "files": ["rw/EN-RW-STANFORD.txt"],
        "urls": [
            "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/94b3dd9fdbac7ed08dbee7179cd5ee464acf0594/data/word-sim/EN-RW-STANFORD.txt"
        ],
        "sha256": {"rw/EN-RW-STANFORD.txt": "5108d54dfc746f44f9c3d7e31d2857c37cf71430bc1594175a61a3b89bb0ae1f"},
        "scale": [0, 10],
        "citation": "Luong, Socher, Manning (2013) Better Word Representations with Recursive Neural Networks for Morphology, CoNLL",
        "description": "Stanford Rare Words, 2034 pairs",
    },
    {
        "name": "mturk287",
        "format": "pairs",
        "language": "en",
        "files": ["mturk287/Mtruk.csv"],
        "urls": [
            "https://raw.githubusercontent.com/gsi-upm/sematch/1bb603c852d2e146a9257070989bae34e6496ffc/sematch/eval-datasets/lexical/Mtruk.csv"
        ],
        "sha256": {"mturk287/Mtruk.csv": "ad3e3171c4c5568b84075875f42f0788800bd5edbef8599c2b777a5770c1836f"},
        "scale": [1, 5],
        "citation": "Radinsky et al. (2011) A Word at a Time, WWW",
        "description": "MTurk-287, 287 pairs",
    },
    {
        "name": "rg65",
        "format": "pairs",
        "language": "en",
        "files": ["rg65/EN-RG-65.txt"],
        "urls": [
            "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/94b3dd9fdbac7ed08dbee7179cd5ee464acf0594/data/word-sim/EN-RG-65.txt"
        ],
        "sha256": {"rg65/EN-RG-65.txt": "c243f3a91c3f5d8cf67f21a67f6fb80bde8b6bb060851a6a48e6f2d68ec98c9f"},
        "scale": [0, 4],
        "citation": "Rubenstein, Goodenough (1965) Contextual Correlates of Synonymy, CACM 8(10)",
        "description": "RG-65, 65 pairs (this copy has 'chord smile' for the paper's 'cord smile')",
    },
    {
        "name": "mc30",
        "format": "pairs",
        "language": "en",
        "files": ["mc30/EN-MC-30.txt"],
        "urls": [
            "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/94b3dd9fdbac7ed08dbee7179cd5ee464acf0594/data/word-sim/EN-MC-30.txt"
        ],
        "sha256": {"mc30/EN-MC-30.txt": "33ee05911496ff83d95cac351d0746c6f63b9181b605cb7d307f4daa8864511b"},
        "scale": [0, 4],
        "citation": "Miller, Charles (1991) Contextual Correlates of Semantic Similarity",
        "description": "MC-30, 30 pairs",
    },
    {
        "name": "simverb3500",
        "format": "pairs",
        "language": "en",
        "files": ["simverb3500/SimVerb-3500.txt"],
        "urls": [
            "https://raw.githubusercontent.com/benathi/word2gm/56bda7d964b2eede9b0280e7b9a3b9cdbb06fa38/evaluation_data/simverb/data/SimVerb-3500.txt"
        ],
        "sha256": {"simverb3500/SimVerb-3500.txt": "b58f68454cf9354b94ecd8bfd778ff2cc784a25fc7dca02bc695319ad2b4157e"},
        "options": {"score_col": 3},
        "scale": [0, 10],
        "citation": "Gerz et al. (2016) SimVerb-3500: A Large-Scale Evaluation Set of Verb Similarity, EMNLP",
        "description": "SimVerb-3500, 3500 verb pairs",
    },
    {
        "name": "google-analogy",
        "format": "google",
        "language": "en",
        "files": ["google_analogy/questions-words.txt"],
        "urls": [
            "https://raw.githubusercontent.com/tmikolov/word2vec/20c129af10659f7c50e86e3be406df663beff438/questions-words.txt"
        ],
        "sha256": {
            "google_analogy/questions-words.txt": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36"
        },
        "citation": "Mikolov, Chen, Corrado, Dean (2013) Efficient Estimation of Word Representations in Vector Space",
        "licence": "host repo Apache-2.0",
        "gensim_file": "questions-words.txt",
        "gensim_sha256": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
        "description": "Google analogy, 19544 questions in 14 sections",
    },
    {
        "name": "google-phrases",
        "format": "google",
        "language": "en",
        "files": ["google_analogy/questions-phrases.txt"],
        "urls": [
            "https://raw.githubusercontent.com/tmikolov/word2vec/20c129af10659f7c50e86e3be406df663beff438/questions-phrases.txt"
        ],
        "sha256": {
            "google_analogy/questions-phrases.txt": "55cfc0894d0fe6cf974d106da3e09b5fb2fa6125b6ddc633d06e298dc5aa7901"
        },
        "citation": "Mikolov et al. (2013) Distributed Representations of Words and Phrases, NIPS",
        "licence": "host repo Apache-2.0",
        "description": "Google phrase analogies (words joined by _), 3218 questions",
    },
    {
        "name": "msr-analogy",
        "format": "csv-analogy",
        "language": "en",
        "files": ["msr_analogy/msr.csv"],
        "urls": [
            "https://raw.githubusercontent.com/vecto-ai/word-benchmarks/9b61d0e067e2e68af22160d09450f82d9544cd70/word-analogy/monolingual/en/msr.csv"
        ],
        "sha256": {"msr_analogy/msr.csv": "1f20d6f2ff22bcc6cb03148ac39c82cf9327befa4c15bb034a44ac91a74f1d44"},
        "citation": "Mikolov, Yih, Zweig (2013) Linguistic Regularities in Continuous Space Word Representations",
        "description": "MSR syntactic analogies (vecto CSV conversion), 8000 questions",
    },
    {
        "name": "bats",
        "format": "bats",
        "language": "en",
        "files": ["bats_3.0"],
        "sha256": {"bats_3.0": "ae28cc493f6d38de4349621064824df8f71fad8d53608d74687cae9aa2a7de6d"},
        "citation": "Gladkova, Drozd, Matsuoka (2016) Analogy-based detection of morphological and semantic relations with word embeddings, NAACL-HLT SRW",
        "description": "BATS 3.0, 40 relations x 50 pairs, every pair of pairs within a relation (98000 questions); no download source: put the folder in the data directory",
    },
    {
        "name": "semeval2012",
        "format": "csv-analogy",
        "language": "en",
        "files": ["semeval2012_task2/semeval.csv"],
        "urls": [
            "https://raw.githubusercontent.com/vecto-ai/word-benchmarks/9b61d0e067e2e68af22160d09450f82d9544cd70/word-analogy/monolingual/en/semeval.csv"
        ],
        "sha256": {"semeval2012_task2/semeval.csv": "ccd643ed3363e9381734639a1fa899aa66cfe3349e29164a9b350b4c45cb12d8"},
        "citation": "Jurgens, Mohammad, Turney, Holyoak (2012) SemEval-2012 Task 2: Measuring Degrees of Relational Similarity",
        "description": "SemEval-2012 task 2 as analogy questions (vecto conversion, 10014 questions, 79 subcategories); NOT the original MaxDiff protocol, whose ratings are not in this file",
    },
    {
        "name": "scws",
        "format": "scws",
        "language": "en",
        "files": ["scws/ratings.txt"],
        "urls": [
            "https://raw.githubusercontent.com/benathi/word2gm/56bda7d964b2eede9b0280e7b9a3b9cdbb06fa38/evaluation_data/ehuang_sim_wcontext/SCWS/ratings.txt"
        ],
        "sha256": {"scws/ratings.txt": "b371cee6142e6be9fad9129a2b6cc7e3b945b7bc931b355051043fb438c16000"},
        "scale": [0, 10],
        "citation": "Huang, Socher, Manning, Ng (2012) Improving Word Representations via Global Context and Multiple Word Prototypes, ACL",
        "description": "SCWS, 2003 word pairs in context",
    },
    {
        "name": "wic",
        "format": "wic",
        "language": "en",
        "files": [
            "wic/train/train.data.txt",
            "wic/train/train.gold.txt",
            "wic/dev/dev.data.txt",
            "wic/dev/dev.gold.txt",
            "wic/test/test.data.txt",
            "wic/test/test.gold.txt",
        ],
        "urls": [
            "https://raw.githubusercontent.com/Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/train/train.data.txt",
            "https://raw.githubusercontent.com/Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/train/train.gold.txt",
            "https://raw.githubusercontent.com/Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/dev/dev.data.txt",
            "https://raw.githubusercontent.com/Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/dev/dev.gold.txt",
            "https://raw.githubusercontent.com/Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/test/test.data.txt",
            "https://raw.githubusercontent.com/Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/test/test.gold.txt",
        ],
        "sha256": {
            "wic/train/train.data.txt": "3a56ff8285ca9703d6c91dfb7cc79760171899c560bb6a8698fa4559a71b160d",
            "wic/train/train.gold.txt": "3f614ca12c03a90fecc34471d8ae666f924a3c657b5620fcfb46d9b2b50bb7b2",
            "wic/dev/dev.data.txt": "1c360246ffa3904fc1d8f6f16bb7ae0d7980a1a27e9200e9b43c32fd35af11e7",
            "wic/dev/dev.gold.txt": "665ee959c2cf7db2a4255b7a049bdfa165b970482145cfd2ac456007d4dcf1d6",
            "wic/test/test.data.txt": "28befe601f5bdbc8e452e9538f6d3582a164647ad5949a9808a74908e70031f7",
            "wic/test/test.gold.txt": "a69386c579762d9ddf988a61896a2e912f402410185f5e8316007093799b341f",
        },
        "citation": "Pilehvar, Camacho-Collados (2019) WiC: the Word-in-Context Dataset, NAACL",
        "licence": "not stated in the package (CC BY-NC 4.0 reported for the official site)",
        "description": "WiC, train 5428 / dev 638 / test 1400",
    },
    {
        "name": "zh_wordsim240",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_wordsim240/wordsim-240.txt"],
        "urls": [
            "https://raw.githubusercontent.com/thunlp/SE-WRL/3f5d7fec23ad49e252457614f665bf257bccbc00/datasets/wordsim-240.txt"
        ],
        "sha256": {"zh_wordsim240/wordsim-240.txt": "b222ba1eeb454199fa1dfad6b74691d73bdf91f6b1468113f5ae499b4e19c4e4"},
        "script": "simplified",
        "scale": [0, 10],
        "citation": "Wang Xiang et al. (2011); used by Chen, Xu, Liu, Sun, Luan (2015) Joint Learning of Character and Word Embeddings, IJCAI",
        "description": "Chinese wordsim-240 (relatedness)",
    },
    {
        "name": "zh_wordsim297",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_wordsim297/wordsim-297.txt"],
        "urls": [
            "https://raw.githubusercontent.com/thunlp/SE-WRL/3f5d7fec23ad49e252457614f665bf257bccbc00/datasets/wordsim-297.txt"
        ],
        "sha256": {"zh_wordsim297/wordsim-297.txt": "d2e7a4b162e79ef619b0c57c3019adf3d1ae1d12fe3ca11e9a86e4e0df879664"},
        "script": "simplified",
        "scale": [0, 5],
        "citation": "Jin, Wu (2012) SemEval-2012 Task 4: Evaluating Chinese Word Similarity",
        "description": "Chinese wordsim-297",
    },
    {
        "name": "zh_analogy_chen2015",
        "format": "google",
        "language": "zh",
        "files": ["zh_analogy_chen2015/analogy.txt"],
        "urls": [
            "https://raw.githubusercontent.com/thunlp/SE-WRL/3f5d7fec23ad49e252457614f665bf257bccbc00/datasets/analogy.txt"
        ],
        "sha256": {
            "zh_analogy_chen2015/analogy.txt": "141a58c1e46d9c702734f2c170ef6e6b4c538dac096a32b8bf4cec54fc400c63"
        },
        "script": "simplified",
        "citation": "Chen, Xu, Liu, Sun, Luan (2015) Joint Learning of Character and Word Embeddings, IJCAI",
        "description": "Chinese analogy, 1124 questions",
    },
    {
        "name": "zh_ca8",
        "format": "google",
        "language": "zh",
        "files": ["zh_ca8/CA8/morphological.txt", "zh_ca8/CA8/semantic.txt"],
        "urls": [
            "https://raw.githubusercontent.com/Embedding/Chinese-Word-Vectors/3096a475f79f218dde7b413dcc6b507d302b7f46/testsets/CA8/morphological.txt",
            "https://raw.githubusercontent.com/Embedding/Chinese-Word-Vectors/3096a475f79f218dde7b413dcc6b507d302b7f46/testsets/CA8/semantic.txt",
        ],
        "sha256": {
            "zh_ca8/CA8/morphological.txt": "ed47740c28d5ce052f205e7ffff8e28dfefe451fcd39867bbe98ef710cc6bf4f",
            "zh_ca8/CA8/semantic.txt": "aed64568e6350ce08f7b9e4af2bd8aadd7ff0498b812cd94c660638ed8ad1f4a",
        },
        "script": "simplified",
        "licence": "host repo Apache-2.0",
        "citation": "Li et al. (2018) Analogical Reasoning on Chinese Morphological and Semantic Relations, ACL",
        "description": "CA8 morphological (10177) + semantic (7636) analogies",
    },
    {
        "name": "zh_ca_translated",
        "format": "google",
        "language": "zh",
        "files": ["zh_ca8/CA_translated/ca_translated.txt"],
        "urls": [
            "https://raw.githubusercontent.com/Embedding/Chinese-Word-Vectors/3096a475f79f218dde7b413dcc6b507d302b7f46/testsets/CA_translated/ca_translated.txt"
        ],
        "sha256": {
            "zh_ca8/CA_translated/ca_translated.txt": "94919a535ed2e0682e6ad12f7508b2aac9b11d0fa048999ec85b9723c0f0aef5"
        },
        "script": "simplified",
        "citation": "Chen, Xu, Liu, Sun, Luan (2015) Joint Learning of Character and Word Embeddings, IJCAI",
        "licence": "host repo Apache-2.0",
        "description": "CA_translated, 953-question subset of Chen et al. (2015)",
    },
    {
        "name": "zh_trad_gwe_simlex999",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_trad_gwe/SimLex-999_translated.txt"],
        "urls": ["https://raw.githubusercontent.com/ray1007/GWE/b5c62fcd/data/SimLex-999_translated.txt"],
        "sha256": {
            "zh_trad_gwe/SimLex-999_translated.txt": "9fd22bf0ec199e00aa66d407eec6c81eb582b0c9ff2ccbf9838a83787092eba9"
        },
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Su, Lee (2017) Learning Chinese Word Representations From Glyphs Of Characters, EMNLP",
        "description": "SimLex-999 in Traditional Chinese (GWE)",
        "group": "zh_trad_gwe",
    },
    {
        "name": "zh_trad_gwe_wordsim240",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_trad_gwe/240_trad.txt"],
        "urls": ["https://raw.githubusercontent.com/ray1007/GWE/b5c62fcd/data/240_trad.txt"],
        "sha256": {"zh_trad_gwe/240_trad.txt": "b3389adf4b46fd52a5a4e99230b8ef113e583f3eaf82190ec01d757e49a1de6b"},
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Su, Lee (2017) Learning Chinese Word Representations From Glyphs Of Characters, EMNLP",
        "description": "wordsim-240 in Traditional Chinese (GWE)",
        "group": "zh_trad_gwe",
    },
    {
        "name": "zh_trad_gwe_wordsim297",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_trad_gwe/297_trad.txt"],
        "urls": ["https://raw.githubusercontent.com/ray1007/GWE/b5c62fcd/data/297_trad.txt"],
        "sha256": {"zh_trad_gwe/297_trad.txt": "2aeafc60675510e40b9db2fcb830d5a7602aabd84cec9c9b652819708a8d3363"},
        "script": "traditional",
        "scale": [0, 5],
        "citation": "Su, Lee (2017) Learning Chinese Word Representations From Glyphs Of Characters, EMNLP",
        "description": "wordsim-297 in Traditional Chinese (GWE)",
        "group": "zh_trad_gwe",
    },
    {
        "name": "zh_trad_gwe_analogy",
        "format": "google",
        "language": "zh",
        "files": ["zh_trad_gwe/analogy_trad.txt"],
        "urls": ["https://raw.githubusercontent.com/ray1007/GWE/b5c62fcd/data/analogy_trad.txt"],
        "sha256": {"zh_trad_gwe/analogy_trad.txt": "15600ad28dd7b8c68315119b2b2322c7688bb9cca986974eed282d99c04437a1"},
        "script": "traditional",
        "citation": "Su, Lee (2017) Learning Chinese Word Representations From Glyphs Of Characters, EMNLP",
        "description": "Chen et al. (2015) analogies in Traditional Chinese (GWE), 1124 questions",
        "group": "zh_trad_gwe",
    },
    {
        "name": "zh_tw_pku500",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_PKU500.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_PKU500.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_PKU500.txt": "c3c6000d7330d0d549b30c42740f390da3699961267eb022f35b65a624c47989"
        },
        "script": "traditional",
        "scale": [1, 10],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_PKU500.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_simlex999",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_SimLex-999.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_SimLex-999.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_SimLex-999.txt": "2f235c0d93f0ce7f2a58b9f539e7c6191766574d8588b1bdc882f3120c0d0479"
        },
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_SimLex-999.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_men",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_bruni_men.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_bruni_men.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_bruni_men.txt": "ea80aadaaec06c052934539e4f20a0965b3e926a394b3a576f95428a4f138d42"
        },
        "script": "traditional",
        "scale": [0, 50],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_bruni_men.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_mturk287",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_radinsky_mturk.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_radinsky_mturk.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_radinsky_mturk.txt": "dd7555232435148d9ece0394f375414bcf8a182b04b1f1b5d4a02e8e584ae53b"
        },
        "script": "traditional",
        "scale": [1, 5],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_radinsky_mturk.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_wordsim353",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_ws353.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_ws353.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_ws353.txt": "8e7c52bd485dac0a2222e4055077a6385be4fbf08fb1e7c371af82f9ebd92aa4"
        },
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_ws353.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_wordsim353_rel",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_ws353_relatedness.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_ws353_relatedness.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_ws353_relatedness.txt": "4a2b2c205bfe9a6bd1819d9dd02bd44e348ce11863265ba574a6a9f3fe209122"
        },
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_ws353_relatedness.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_wordsim353_sim",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_tw_ws353_similarity.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_tw_ws353_similarity.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_tw_ws353_similarity.txt": "d1a10760da21cfadc01ed0b5decd3e07c2b6e3b9e1e0938cac422016fa9c799d"
        },
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_tw_ws353_similarity.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
    {
        "name": "zh_tw_wordsim240",
        "format": "pairs",
        "language": "zh",
        "files": ["zh_tw_chen_ma_2018/zh_wordsim240.txt"],
        "urls": [
            "https://raw.githubusercontent.com/play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/zh_wordsim240.txt"
        ],
        "sha256": {
            "zh_tw_chen_ma_2018/zh_wordsim240.txt": "8661da8e0ec72de3a8c7a011ed5750d3eee74cc41c4345b6d822d06edac66569"
        },
        "script": "traditional",
        "scale": [0, 10],
        "citation": "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC",
        "licence": "host repo CC BY-SA 4.0",
        "description": "zh_wordsim240.txt (Chen & Ma 2018, Traditional Chinese)",
        "group": "zh_tw_chen_ma_2018",
    },
]
