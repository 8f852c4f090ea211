#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::discovery {

// Replaces the file at `path` with `content` so that a reader (or a crash at
// any moment) sees either the old file or the new one, whole: write a
// temporary file beside it, fsync it, rename it over `path`, fsync the
// directory. Creates missing parent directories (mode 0755). `mode` applies
// to a new file; an existing file keeps its mode. On failure leaves `path`
// untouched, removes the temporary file and sets `error` ("PATH: what:
// strerror") and `rename_errno` (when given) to the errno of a failed
// rename (EBUSY: `path` is a bind-mounted file). Blocking; main thread.
bool write_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                           std::string& error, int* rename_errno = nullptr);

// Reads a whole file of at most `max_bytes`. nullopt with `missing` set when
// it does not exist; nullopt with `error` set when it cannot be read or is
// larger.
std::optional<std::string> read_whole_file(const std::string& path, std::size_t max_bytes,
                                           bool& missing, std::string& error);

}  // namespace ferry::discovery
