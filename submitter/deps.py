"""Which outside files a .blend names: image textures, libraries, caches, fonts, bakes, ...

Pure: imports no bpy, boto3 or subprocess; bytes in, `Reference` records out. The blocks are
decoded with the file's own SDNA (`submitter.sdna`), so member offsets follow the Blender that
wrote the file. Names are the ones stored in the file's DNA, which keeps pre-rename spellings
for compatibility: Image/Library/VFont/MovieClip/bSound `name` is the path (`filepath` in the
Python API), a sequencer strip is struct `Sequence`, its `strip` member the `Strip` (StripData)
holding `dir` and the `StripElem` array (`name` = file name), NodesModifierData
`simulation_bake_directory` is `bake_directory`.

Only a file's own (local) IDs are read: a linked ID's paths are in its library, read from there.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from submitter.blendfile import BlendData, BlendFileError, Block, read_blend_data
from submitter.sdna import SdnaError

KINDS = (
    "image", "image-sequence", "udim", "movie", "library", "cache", "volume",
    "font", "sound", "strip", "bake",
)  # fmt: skip

# Image.source (DNA_image_types.h): what an image's path means.
_IMAGE_KINDS = {1: "image", 2: "image-sequence", 3: "movie", 6: "udim"}
# MovieClip.source: 1 an image sequence, 2 a movie file.
_CLIP_KINDS = {1: "image-sequence", 2: "movie"}
# Sequence.type: 0 image strip (a folder + one file name per element), 3 movie strip.
_STRIP_IMAGE, _STRIP_MOVIE = 0, 3
# PointCache.flag bits.
_PTCACHE_BAKED, _PTCACHE_DISK, _PTCACHE_EXTERNAL = 1, 64, 512
# NodesModifierBake.flag: the bake has its own folder; bake_target: 0 inherit, 1 packed, 2 disk.
_BAKE_CUSTOM_PATH, _BAKE_PACKED = 2, 1
BUILTIN_FONT = "<builtin>"
# Files shipped inside Blender (5.0 links its essentials brushes from
# <install>/5.0/datafiles/assets/...): every Blender has them, they are not the project's.
_BUILTIN_PATH = re.compile(r"[\\/]\d+\.\d+[\\/]datafiles[\\/]")


@dataclass(frozen=True)
class Reference:
    kind: str  # one of KINDS
    owner: str  # the ID that refers to it, e.g. "IMchecker" / "LIprops.blend" / "OBFluid"
    written: str  # the path exactly as stored in the file ("//textures/a.png", "C:\\x.png")
    packed: bool  # data packed in the .blend: needs nothing
    tiles: tuple[int, ...] = ()  # a UDIM image's tile numbers (1001, 1002, ...)
    sequence: bool = False  # the path is one frame of a numbered series (tex_0001.png, ...)


def read_references(data: bytes, *, blend_name: str = "") -> list[Reference]:
    """Every outside path a whole .blend's own data names, in file order.

    `blend_name` (the file's name, e.g. "shot.blend") names the implicit point-cache folder
    `//blendcache_<stem>`; without it such caches are not reported.
    """
    blend = read_blend_data(data)
    try:
        return list(_Reader(blend, blend_name).references())
    except (SdnaError, struct.error, KeyError, IndexError) as error:
        raise BlendFileError(
            f"cannot read the outside file paths with the file's SDNA ({error}): the file is "
            "damaged or from a Blender this reader does not know; re-save it with Blender 5.0"
        ) from None


class _Reader:
    def __init__(self, blend: BlendData, blend_name: str) -> None:
        self.blend, self.sdna, self.raw = blend, blend.sdna, blend.raw
        self.stem = blend_name.rsplit(".", 1)[0] if blend_name else ""
        self.by_address = {b.address: b for b in blend.blocks if b.address}
        # Point caches of a fluid domain: the domain's cache_directory is their folder.
        self.fluid_caches = set()
        for block in blend.blocks:
            if self.sdna.struct_names[block.sdna_index] == "FluidDomainSettings":
                member = self.sdna.member("FluidDomainSettings", "point_cache")
                for n in range(member.array_length):
                    at = block.start + member.offset + n * blend.pointer_size
                    self.fluid_caches.add(self._address_at(at))

    def references(self) -> Iterator[Reference]:
        owner, local = "", True
        for block in self.blend.blocks:
            struct_name = self.sdna.struct_names[block.sdna_index]
            if block.code == b"ID\0\0":  # a linked ID's placeholder: its data is in the library
                owner, local = "", False
            elif block.code[2:] == b"\0\0" and block.code[:2].isalpha() and self._is_id(block):
                owner = _c_string(self._value(block, struct_name, "id.name"))
                local = not self._pointer(block, struct_name, "id.lib")
            if not local:
                continue
            reader = getattr(self, "_" + struct_name, None)
            if reader is not None:
                yield from reader(block, owner)

    # --- ID blocks ----------------------------------------------------------------------------

    def _Image(self, block: Block, owner: str) -> Iterator[Reference]:
        kind = _IMAGE_KINDS.get(self._value(block, "Image", "source"))
        path = self._path(block, "Image")
        if kind is None or not path:
            return
        packed = bool(self._pointer(block, "Image", "packedfile")) or bool(
            self._pointer(block, "Image", "packedfiles.first")
        )
        tiles = ()
        if kind == "udim":
            tiles = tuple(
                self._value(tile, "ImageTile", "tile_number")
                for tile in self._list(block, "Image", "tiles")
            )
        yield Reference(kind, owner, path, packed, tiles, sequence=kind == "image-sequence")

    def _Library(self, block: Block, owner: str) -> Iterator[Reference]:
        yield from self._simple(block, owner, "Library", "library")

    def _CacheFile(self, block: Block, owner: str) -> Iterator[Reference]:
        yield from self._simple(block, owner, "CacheFile", "cache")

    def _Volume(self, block: Block, owner: str) -> Iterator[Reference]:
        yield from self._simple(block, owner, "Volume", "volume")

    def _VFont(self, block: Block, owner: str) -> Iterator[Reference]:
        if self._path(block, "VFont") != BUILTIN_FONT:
            yield from self._simple(block, owner, "VFont", "font")

    def _bSound(self, block: Block, owner: str) -> Iterator[Reference]:
        yield from self._simple(block, owner, "bSound", "sound")

    def _MovieClip(self, block: Block, owner: str) -> Iterator[Reference]:
        kind = _CLIP_KINDS.get(self._value(block, "MovieClip", "source"))
        path = self._path(block, "MovieClip")
        if kind and path:
            yield Reference(kind, owner, path, False, sequence=kind == "image-sequence")

    # --- data inside IDs ----------------------------------------------------------------------

    def _Sequence(self, block: Block, owner: str) -> Iterator[Reference]:
        for index in range(block.count):
            base = block.start + index * self.sdna.type_sizes["Sequence"]
            strip_type = self._value_at(base, "Sequence", "type")
            if strip_type not in (_STRIP_IMAGE, _STRIP_MOVIE):
                continue
            data = self.by_address.get(self._pointer_at(base, "Sequence", "strip"))
            if data is None:
                continue
            folder = _c_string(self._value(data, "Strip", "dir"))
            elements = self.by_address.get(self._pointer(data, "Strip", "stripdata"))
            if elements is None:
                continue
            count = elements.count if strip_type == _STRIP_IMAGE else 1
            size = self.sdna.type_sizes["StripElem"]
            for element in range(count):
                at = elements.start + element * size
                name = _c_string(self._value_at(at, "StripElem", "name"))
                if name:
                    yield Reference("strip", owner, _join(folder, name), False)

    def _FluidDomainSettings(self, block: Block, owner: str) -> Iterator[Reference]:
        path = _c_string(self._value(block, "FluidDomainSettings", "cache_directory"))
        if path:
            yield Reference("bake", owner, path, False)

    def _NodesModifierData(self, block: Block, owner: str) -> Iterator[Reference]:
        name = "NodesModifierData"
        folder = self._string(self._pointer(block, name, "simulation_bake_directory"))
        default_target = self._value(block, name, "bake_target")
        bakes = self.by_address.get(self._pointer(block, name, "bakes"))
        uses_folder, own_folders = False, []
        size = self.sdna.type_sizes["NodesModifierBake"]
        for index in range(self._value(block, name, "bakes_num") if bakes else 0):
            at = bakes.start + index * size
            target = self._value_at(at, "NodesModifierBake", "bake_target") or default_target
            if target == _BAKE_PACKED:
                continue
            if self._value_at(at, "NodesModifierBake", "flag") & _BAKE_CUSTOM_PATH:
                own_folders.append(
                    self._string(self._pointer_at(at, "NodesModifierBake", "directory"))
                )
            else:
                uses_folder = True
        for path in ([folder] if uses_folder else []) + own_folders:
            if path:
                yield Reference("bake", owner, path, False)

    def _PointCache(self, block: Block, owner: str) -> Iterator[Reference]:
        if block.address in self.fluid_caches:
            return
        flag = self._value(block, "PointCache", "flag")
        if not flag & _PTCACHE_DISK:
            return
        if flag & _PTCACHE_EXTERNAL:
            path = _c_string(self._value(block, "PointCache", "path"))
        elif flag & _PTCACHE_BAKED and self.stem:
            path = f"//blendcache_{self.stem}"  # where Blender writes an unnamed disk cache
        else:
            return
        if path:
            yield Reference("bake", owner, path, False)

    # --- helpers ------------------------------------------------------------------------------

    def _simple(self, block: Block, owner: str, struct_name: str, kind: str) -> Iterator[Reference]:
        path = self._path(block, struct_name)
        if not path or _BUILTIN_PATH.search(path):
            return
        packed = self._has(struct_name, "packedfile") and self._pointer(
            block, struct_name, "packedfile"
        )
        # A volume or Alembic/USD cache may be one file per frame (smoke_0001.vdb, ...).
        sequence = self._has(struct_name, "is_sequence") and self._value(
            block, struct_name, "is_sequence"
        )
        yield Reference(kind, owner, path, bool(packed), sequence=bool(sequence))

    def _is_id(self, block: Block) -> bool:
        members = self.sdna.structs.get(self.sdna.struct_names[block.sdna_index], ())
        return bool(members) and members[0].name == "id" and members[0].type_name == "ID"

    def _has(self, struct_name: str, member: str) -> bool:
        return any(m.name == member for m in self.sdna.structs[struct_name])

    def _path(self, block: Block, struct_name: str) -> str:
        field = "filepath" if self._has(struct_name, "filepath") else "name"
        return _c_string(self._value(block, struct_name, field))

    def _value(self, block: Block, struct_name: str, path: str):
        return self._value_at(block.start, struct_name, path)

    def _value_at(self, base: int, struct_name: str, path: str):
        return self.sdna.read(self.raw, base, self.sdna.member(struct_name, path))

    def _pointer(self, block: Block, struct_name: str, path: str) -> int:
        return self._pointer_at(block.start, struct_name, path)

    def _pointer_at(self, base: int, struct_name: str, path: str) -> int:
        return self._address_at(base + self.sdna.member(struct_name, path).offset)

    def _address_at(self, at: int) -> int:
        fmt = self.blend.endian + ("I" if self.blend.pointer_size == 4 else "Q")
        return struct.unpack_from(fmt, self.raw, at)[0]

    def _list(self, block: Block, struct_name: str, path: str) -> Iterator[Block]:
        """The blocks of a ListBase, following `next` (guarded against a damaged loop)."""
        address, seen = self._pointer(block, struct_name, path + ".first"), set()
        while address and address not in seen and address in self.by_address:
            seen.add(address)
            item = self.by_address[address]
            yield item
            address = self._address_at(item.start)  # `next` is every list item's first member

    def _string(self, address: int) -> str:
        block = self.by_address.get(address)
        if block is None:
            return ""
        return _c_string(self.raw[block.start : block.start + block.length])


def _join(folder: str, name: str) -> str:
    if not folder or folder.endswith(("/", "\\")):
        return folder + name
    return folder + ("\\" if "\\" in folder and "/" not in folder else "/") + name


def _c_string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


_WINDOWS_PATH = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")


@dataclass(frozen=True)
class Dependency:
    referrer: Path  # the .blend (main or library) whose data holds the path
    reference: Reference
    path: Path | None  # resolved absolute local path (a file, or for "bake" a folder)
    files: tuple[Path, ...]  # every local file it needs (each frame, tile, file of a folder)
    status: str  # "found" | "missing" | "packed"
    size: int  # total bytes of `files`
    absent: tuple[Path, ...] = ()  # expected files not on disk (a UDIM tile, a sequence's)


def why_missing(dependency: Dependency) -> str:
    """One line saying why a missing dependency is missing."""
    written = dependency.reference.written
    if is_windows_path(written) and os.name != "nt":
        return f"{written} was written on Windows; this machine cannot open that path"
    if dependency.absent:
        return "no file " + ", ".join(str(p) for p in dependency.absent)
    if dependency.reference.sequence:
        return f"no file of the numbered series {dependency.path}"
    if dependency.reference.kind == "bake":
        return f"no folder {dependency.path} (bake it, or copy the baked files there)"
    return f"no file {dependency.path}"


def is_windows_path(written: str) -> bool:
    return bool(_WINDOWS_PATH.match(written))
