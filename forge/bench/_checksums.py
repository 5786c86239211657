"""Dataset checksums: accepted spellings, folder digests, and which file of a folder changed.

A digest is 64 hex digits; :func:`normalise_sha256` also accepts upper case and a ``sha256:`` prefix
(pooch's and Docker's spelling). A folder dataset (BATS) has one digest: the sha256 of its
``"<sha256>  <relative path>"`` lines, one per ``*.txt`` file in path order (:func:`folder_digest`).
When the per-file digests of a folder are known (the built-in BATS 3.0 below, or a user's mapping
given to :func:`forge.bench.register_dataset`), a mismatch names the changed, missing and added files
(:func:`explain_folder_mismatch`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from forge._files import sha256_file as _sha256_file
from forge.errors import BadInputError

__all__ = [
    "BATS_3_0",
    "explain_folder_mismatch",
    "folder_digest",
    "folder_files",
    "normalise_sha256",
    "remember_folder",
    "sha256_file",
]

_HEX64 = re.compile(r"[0-9a-f]{64}")


def normalise_sha256(value: object, what: str = "sha256") -> str:
    """A digest as 64 lower-case hex digits; upper case and a ``sha256:`` prefix are accepted.

    Examples
    --------
    >>> normalise_sha256("SHA256:" + "AB" * 32) == "ab" * 32
    True
    """
    if not isinstance(value, str):
        raise BadInputError(
            f"{what}={value!r} is not a sha256 digest; give 64 hex digits as a str "
            f"(e.g. the output of `sha256sum FILE`)."
        )
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:") :].strip()
    if not _HEX64.fullmatch(text):
        raise BadInputError(
            f"{what}={value!r} is not a sha256 digest: expected 64 hex digits (optionally "
            f"prefixed 'sha256:'), got {len(text)} characters."
        )
    return text


def sha256_file(path: Path) -> str:
    """sha256 of a dataset file (forge's one file digest, :func:`forge._files.sha256_file`)."""
    return _sha256_file(path, "Dataset file")


def folder_files(path: Path) -> dict[str, str]:
    """``{relative posix path: sha256}`` of the ``*.txt`` files under a folder, in path order."""
    files = sorted(
        (p for p in path.rglob("*.txt") if p.is_file() or _special(p)), key=lambda q: q.relative_to(path).as_posix()
    )
    return {p.relative_to(path).as_posix(): sha256_file(p) for p in files}


def _special(p: Path) -> bool:
    """A ``*.txt`` entry that is neither a file nor a folder (a FIFO, a device): hashed, so refused."""
    return p.exists() and not p.is_dir()


def folder_digest(files: Mapping[str, str]) -> str:
    """The one digest of a folder from its ``{relative path: sha256}`` (order-independent)."""
    lines = [f"{files[rel]}  {rel}\n" for rel in sorted(files)]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


# folder digest -> its per-file digests, for naming the changed file of a folder
_KNOWN: dict[str, dict[str, str]] = {}


def remember_folder(files: Mapping[str, str]) -> str:
    """Record per-file digests of a folder (keys: paths relative to it); return its folder digest."""
    clean = {}
    for rel, digest in files.items():
        rel_path = Path(str(rel))
        if rel_path.is_absolute() or ".." in rel_path.parts:
            raise BadInputError(
                f"sha256 key {rel!r} must be a path relative to the dataset folder "
                f"(e.g. '1_Inflectional_morphology/I01 [noun - plural_reg].txt')."
            )
        clean[rel_path.as_posix()] = normalise_sha256(digest, f"sha256[{rel!r}]")
    if not clean:
        raise BadInputError("sha256={} is empty; give a digest per file or leave sha256 out.")
    digest = folder_digest(clean)
    _KNOWN[digest] = clean
    return digest


def explain_folder_mismatch(expected: str, actual: Mapping[str, str]) -> str:
    """Which files differ from the folder whose digest is ``expected`` (empty when not known)."""
    want = _KNOWN.get(expected)
    if want is None:
        return ""
    changed = [rel for rel in want if rel in actual and actual[rel] != want[rel]]
    missing = [rel for rel in want if rel not in actual]
    added = [rel for rel in actual if rel not in want]
    parts = []
    for label, names in (("changed", changed), ("missing", missing), ("not in the original", added)):
        if names:
            shown = ", ".join(repr(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            parts.append(f"{label}: {shown}")
    return " Files " + "; ".join(parts) + "." if parts else ""


# BATS 3.0 (shared/datasets/SHA256SUMS): the 40 relation files
BATS_3_0 = {
    "1_Inflectional_morphology/I01 [noun - plural_reg].txt": "f2a405ce50f8f23d7439261ea1dc39f3f23996dc05ad65a7be90599459126430",
    "1_Inflectional_morphology/I02 [noun - plural_irreg].txt": "4466475a91c7ddd29d0860047396c9ef81137031741821d6d4cddbc7f9f54dc1",
    "1_Inflectional_morphology/I03 [adj - comparative].txt": "902c8e51f2e832f595244586e76d16e72e6922d6d3ffebe7b2d8f503de9af201",
    "1_Inflectional_morphology/I04 [adj - superlative].txt": "c54b93d54058c6ff644694eee2f0a57a7a97418acf48c3691523151f790129db",
    "1_Inflectional_morphology/I05 [verb_inf - 3pSg].txt": "cb6726f4262f0e202c49707983cd18cae0e3c26c37fd3c15aa73f490230fb878",
    "1_Inflectional_morphology/I06 [verb_inf - Ving].txt": "2002ea3917fb578cecd1a38998075bcf0d6cc1ce598198e9bc76d3e609cb89ae",
    "1_Inflectional_morphology/I07 [verb_inf - Ved].txt": "0397eb83d6d12f2c86084dfa8522e2270b0bb2fe946d47800de8e932c25ed8e6",
    "1_Inflectional_morphology/I08 [verb_Ving - 3pSg].txt": "16409fae45eea60d0b7433eba9a9b74f5985ff572ff7f8174623ccdd044b263f",
    "1_Inflectional_morphology/I09 [verb_Ving - Ved].txt": "0f75a20573e68b8a181b0387f5f827bcf98f9380279b2941a635a13974814e9f",
    "1_Inflectional_morphology/I10 [verb_3pSg - Ved].txt": "8ce48ac01e360bfc6fff4e5e59ffcc7289815f4c0d00eea7b0fa4039a27a56e5",
    "2_Derivational_morphology/D01 [noun+less_reg].txt": "df7932eb73e875c07982a79d2a55ebbcc687066531fb43e7b4ae3fa5a242a01b",
    "2_Derivational_morphology/D02 [un+adj_reg].txt": "314a153805b279a91fd5f37ee6108d21ab6c09722e159fbfb4ebfaf150d7f5fc",
    "2_Derivational_morphology/D03 [adj+ly_reg].txt": "1f17b894054f2eaa5e4acd993174b5ab0fa96a38bf5bf7e6f5c75272e2a9bd5c",
    "2_Derivational_morphology/D04 [over+adj_reg].txt": "60e1279dda6ade89272be1b3ee543e7fb08415161eff4621b255463aaa0423f7",
    "2_Derivational_morphology/D05 [adj+ness_reg].txt": "112700aaf9c7a49dcb3a15ab4e36464580fdf8344b0ad02b9002c6f2c9c2320b",
    "2_Derivational_morphology/D06 [re+verb_reg].txt": "fe35cac9ebff5b4e2d200f1e1cb3b1aa6a2ee32b085572e1d7658b40d285aae1",
    "2_Derivational_morphology/D07 [verb+able_reg].txt": "a13f77984d4a551bd9ccf6c9b248eba9aef8bab0afe6cfb3538590846d087422",
    "2_Derivational_morphology/D08 [verb+er_irreg].txt": "ca10f7428edc6ef5b8c34bccd8883f8f830b1e7072d548bacb89ec4d0d5efed2",
    "2_Derivational_morphology/D09 [verb+tion_irreg].txt": "c4199b8645a52148f171c8a13b017ec87d5226e731e572e72cb1ae4710b2400f",
    "2_Derivational_morphology/D10 [verb+ment_irreg].txt": "454df5fffc41641852fc8c30cd6b1182dbca6084632c20d5646514619c530b49",
    "3_Encyclopedic_semantics/E01 [country - capital].txt": "4bfeb3ce8d9057899b4110721d1e0b0524d8327f72a59b50b12982bfdbd532ea",
    "3_Encyclopedic_semantics/E02 [country - language].txt": "fe7fbb02c833c79e7d1d17bf454374585a82fdcfd36aafb657c48eb30e21e38d",
    "3_Encyclopedic_semantics/E03 [UK_city - county].txt": "33ff67c2dcdd04319056b3d25a1a6d200e16d0e1dc6c4513185654da5b40fe63",
    "3_Encyclopedic_semantics/E04 [name - nationality].txt": "1cf896fbe88cd6f4a59e1e847ceaa5b89c34129ab8618f88390f392bf5501b86",
    "3_Encyclopedic_semantics/E05 [name - occupation].txt": "9de6fe0e1c6f9bea42484ae30118340ee3402ab6edb60b48a1f053db6669a523",
    "3_Encyclopedic_semantics/E06 [animal - young].txt": "8c0324d64da14062cf54fcd349706b5d622abf630ffc09f294a5dd5512ca0c16",
    "3_Encyclopedic_semantics/E07 [animal - sound].txt": "a99c8826744bf80b4fab7fbbb137c4f187ce17ce758960f15aa648f9d8f53a2f",
    "3_Encyclopedic_semantics/E08 [animal - shelter].txt": "aecea7c6786da6d646fb717de7cae53ee91ead2cc718128f20009c4712cd9cea",
    "3_Encyclopedic_semantics/E09 [things - color].txt": "3801de3967135af59b2c8bf6ca67b64e021413954a42a6aa3c9fa4e04209223e",
    "3_Encyclopedic_semantics/E10 [male - female].txt": "8c9866a06a70b572344aa819943786b95e577194b86b899d66883dc80ee1a07b",
    "4_Lexicographic_semantics/L01 [hypernyms - animals].txt": "2350727e928e9d0af481b7e38b00d8e4a1c83d1df3b64b438778193ae782ade6",
    "4_Lexicographic_semantics/L02 [hypernyms - misc].txt": "237d787adec92e9288c5a22bedb4c199b5aeac2bd6c76ca9169f25564a85c749",
    "4_Lexicographic_semantics/L03 [hyponyms - misc].txt": "085463e9135b4701a6cd5d72f261e687f1edaf959d31a4960cca09b0174ddda5",
    "4_Lexicographic_semantics/L04 [meronyms - substance].txt": "0388e722d038cd282d9497f9f761f33d1a84e6a9a8b6e7766b6195a296093bbe",
    "4_Lexicographic_semantics/L05 [meronyms - member].txt": "d88e3d37d5feab876ba658d3bc1817e6a2430d03064b30c690e5bac05741dbcf",
    "4_Lexicographic_semantics/L06 [meronyms - part].txt": "dfb2fc4ff3c21f7602fb9eaff45e21936089770fd2c8dc7f4a70e6c15c271e5e",
    "4_Lexicographic_semantics/L07 [synonyms - intensity].txt": "291f87a69507fc8f1eea06bceaa6fd7ae90670488ebf3abefc0013d78d2e86a2",
    "4_Lexicographic_semantics/L08 [synonyms - exact].txt": "2d86f1916deb713e748b90a516a690423a06eb23d0c74e3d3cec3f8a82164ad8",
    "4_Lexicographic_semantics/L09 [antonyms - gradable].txt": "861b95c036f5db2074e6faf5023be5396efaeba022cfaad132d38da67407d203",
    "4_Lexicographic_semantics/L10 [antonyms - binary].txt": "3cb743a409889a472878df8a0403296667805f16aa7054f27cb7fd16130d9521",
}
remember_folder(BATS_3_0)
