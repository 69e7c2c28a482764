"""Decode a .blend file's SDNA (its `DNA1` block): which structs exist and where their members sit.

Pure: imports no bpy, boto3 or ffmpeg (stdlib only), so it runs on machines without Blender.

Every .blend carries the description of its own structs, because member offsets change between
Blender versions (and with pointer size). Layout of the block, each section 4-byte aligned:
`SDNA`, `NAME` count + NUL-terminated member names, `TYPE` count + NUL-terminated type names,
`TLEN` one short size per type, `STRC` count + per struct: short type, short member count,
then (short type, short name) per member.
"""

from __future__ import annotations

import functools
import re
import struct
from dataclasses import dataclass

# Base types a caller may want to read; anything else is a struct (or unsupported).
_BASE_FORMATS = {
    "char": "b", "uchar": "B", "int8_t": "b", "uint8_t": "B",
    "short": "h", "ushort": "H", "int16_t": "h", "uint16_t": "H",
    "int": "i", "uint": "I", "int32_t": "i", "uint32_t": "I",
    "int64_t": "q", "uint64_t": "Q", "float": "f", "double": "d",
}  # fmt: skip

_ARRAY_DIMENSION = re.compile(r"\[(\d+)\]")


class SdnaError(ValueError):
    """The DNA1 block is not what a .blend writes (damaged or truncated file)."""


@dataclass(frozen=True)
class Member:
    """One member of a struct, as laid out in this file."""

    name: str  # bare name: "frame_step" for "frame_step", "next" for "*next", "mat" for "mat[4][4]"
    type_name: str
    offset: int
    size: int  # whole member, all array elements
    is_pointer: bool
    array_length: int  # product of the dimensions, 1 for a scalar


@dataclass(frozen=True)
class Sdna:
    """Struct layouts of one file: struct name -> its members in order, and type sizes."""

    structs: dict[str, tuple[Member, ...]]
    struct_names: tuple[str, ...]  # indexed by a block header's SDNAnr
    type_sizes: dict[str, int]
    endian: str  # struct-module prefix, "<" or ">"

    def member(self, struct_name: str, path: str) -> Member:
        """The member at a dotted path ("r.frame_step"), offset from the start of `struct_name`."""
        offset, found = 0, None
        current = struct_name
        for part in path.split("."):
            members = self.structs.get(current)
            if members is None:
                raise SdnaError(f"struct {current} is not in this file's SDNA")
            found = next((m for m in members if m.name == part), None)
            if found is None:
                raise SdnaError(f"struct {current} has no member {part!r} in this file's SDNA")
            offset += found.offset
            current = found.type_name
        return Member(
            found.name, found.type_name, offset, found.size, found.is_pointer, found.array_length
        )

    def read(self, data: bytes | memoryview, base: int, member: Member) -> int | float | bytes:
        """The value of a scalar base-type member (or the raw bytes of a char array)."""
        if member.is_pointer:
            raise SdnaError(f"member {member.name} is a pointer, not a value")
        start = base + member.offset
        if member.type_name == "char" and member.array_length > 1:
            return bytes(data[start : start + member.size])
        fmt = _BASE_FORMATS.get(member.type_name)
        if fmt is None or member.array_length != 1:
            raise SdnaError(f"member {member.name} ({member.type_name}) is not a plain value")
        return struct.unpack_from(self.endian + fmt, data, start)[0]


def parse_sdna(block: bytes | memoryview, *, endian: str, pointer_size: int) -> Sdna:
    """Decode the data of a `DNA1` block.

    Files saved by one Blender carry the same block, and a project's libraries are mostly of
    one Blender: each distinct block is decoded once (~0.1 s each) and the result shared, read
    only."""
    return _parse(bytes(block), endian, pointer_size)


@functools.lru_cache(maxsize=8)
def _parse(block: bytes, endian: str, pointer_size: int) -> Sdna:
    reader = _Reader(block, endian)
    try:
        reader.expect(b"SDNA")
        reader.expect(b"NAME")
        names = reader.strings(reader.int32())
        reader.align()
        reader.expect(b"TYPE")
        types = reader.strings(reader.int32())
        reader.align()
        reader.expect(b"TLEN")
        sizes = [reader.uint16() for _ in types]
        reader.align()
        reader.expect(b"STRC")
        layouts = [reader.struct_layout() for _ in range(reader.int32())]
    except (struct.error, IndexError) as error:
        raise SdnaError(f"the DNA1 block ends early ({error})") from None

    type_sizes = dict(zip(types, sizes, strict=True))
    structs = {}
    for type_index, fields in layouts:
        structs[types[type_index]] = _members(
            [(types[t], names[n]) for t, n in fields], type_sizes, pointer_size
        )
    struct_names = tuple(types[type_index] for type_index, _ in layouts)
    return Sdna(structs, struct_names, type_sizes, endian)


def _members(
    fields: list[tuple[str, str]], type_sizes: dict[str, int], pointer_size: int
) -> tuple[Member, ...]:
    members, offset = [], 0
    for type_name, raw_name in fields:
        # "*next" and "(*draw)()" are pointers whatever their type; "mat[4][4]" is 16 elements.
        is_pointer = raw_name.startswith(("*", "(*"))
        bare = re.split(r"[\[)]", raw_name.lstrip("(*"), maxsplit=1)[0]
        length = 1
        for dimension in _ARRAY_DIMENSION.findall(raw_name):
            length *= int(dimension)
        element = pointer_size if is_pointer else type_sizes[type_name]
        members.append(Member(bare, type_name, offset, element * length, is_pointer, length))
        offset += element * length
    return tuple(members)


class _Reader:
    def __init__(self, data: bytes, endian: str) -> None:
        self.data, self.endian, self.pos = data, endian, 0

    def expect(self, tag: bytes) -> None:
        found = self.data[self.pos : self.pos + len(tag)]
        if found != tag:
            raise SdnaError(f"expected {tag!r} at byte {self.pos} of DNA1, found {found!r}")
        self.pos += len(tag)

    def int32(self) -> int:
        (value,) = struct.unpack_from(self.endian + "i", self.data, self.pos)
        self.pos += 4
        return value

    def int16(self) -> int:
        (value,) = struct.unpack_from(self.endian + "h", self.data, self.pos)
        self.pos += 2
        return value

    def uint16(self) -> int:
        (value,) = struct.unpack_from(self.endian + "H", self.data, self.pos)
        self.pos += 2
        return value

    def strings(self, count: int) -> list[str]:
        result = []
        for _ in range(count):
            end = self.data.index(b"\0", self.pos)
            result.append(self.data[self.pos : end].decode("ascii", "replace"))
            self.pos = end + 1
        return result

    def align(self) -> None:
        self.pos = (self.pos + 3) & ~3

    def struct_layout(self) -> tuple[int, list[tuple[int, int]]]:
        type_index, count = self.int16(), self.int16()
        return type_index, [(self.int16(), self.int16()) for _ in range(count)]
