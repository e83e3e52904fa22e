#include "zone/zone_writer.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "wire/rdata.hpp"
#include "wire/types.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::zone {

namespace {

// `owner` relative to `origin` when it is inside it ("@" for the apex), else absolute.
// Escaping is per label (Name::to_text), so the text of the origin's labels is exactly
// the tail of the owner's text.
std::string owner_text(const wire::Name& owner, const wire::Name& origin) {
  std::string full = owner.to_text();
  if (owner == origin) return "@";
  if (!owner.is_subdomain_of(origin)) return full;
  // Drop the origin's labels and the dot before them ("www.example.com." -> "www"); for
  // the root origin the only dot to drop is the final one.
  const std::size_t cut =
      origin.is_root() ? 1 : owner.suffix(origin.label_count()).to_text().size() + 1;
  if (full.size() <= cut) return full;
  full.resize(full.size() - cut);
  return full;
}

// RFC 3597 §5: "\# <length> <hex>".
std::string generic_rdata_text(std::span<const std::uint8_t> rdata) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "\\# " + std::to_string(rdata.size()) + " ";
  for (std::uint8_t b : rdata) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
  return out;
}

void append_record(std::string& out, const wire::Record& r, const wire::Name& origin) {
  out += owner_text(r.owner, origin);
  out += '\t';
  out += std::to_string(r.ttl);
  out += '\t';
  out += wire::to_text(r.cls);
  out += '\t';
  // RFC 3597 §5: TYPEnnn and "\# len hex" for what the loader cannot read otherwise
  // (a described type libzscanner does not know, empty RDATA), so the file loads again.
  const auto code = static_cast<std::uint16_t>(r.type);
  if (r.rdata.empty() || !loader_reads_type(r.type)) {
    out += "TYPE" + std::to_string(code);
    out += '\t';
    out += r.rdata.empty() ? std::string("\\# 0") : generic_rdata_text(r.rdata);
  } else {
    out += wire::to_text(r.type);
    out += '\t';
    out += wire::rdata_to_text(r.type, r.rdata);
  }
  out += '\n';
}

Error os_error(const std::string& what, const std::string& path, int err) {
  return Error{Errc::kIo, "zone write-back: " + what + " " + path + ": " + std::strerror(err)};
}

// Closes on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // close() can report a deferred write error: check it.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(os_error("write", path, errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string zone_to_text(const Zone& zone) {
  const auto records = zone.records();
  const wire::Name& origin = zone.origin();
  std::string out;
  out.reserve(64 + records.size() * 48);
  out += "; zone " + origin.to_text() + " serial " + std::to_string(zone.serial().value()) +
         ", written by dnspushd\n";
  out += "$ORIGIN " + origin.to_text() + "\n";
  for (const auto& r : records) append_record(out, r, origin);
  return out;
}

Result<void> write_zone_file(const Zone& zone, const std::string& path) {
  const std::string text = zone_to_text(zone);
  const std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return tl::unexpected(os_error("open", tmp, errno));
    if (auto ok = write_all(fd.get(), text, tmp); !ok) {
      ::unlink(tmp.c_str());
      return ok;
    }
    // The data must be on disk before the rename makes it the file.
    if (::fsync(fd.get()) != 0 || fd.close() != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return tl::unexpected(os_error("fsync", tmp, err));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return tl::unexpected(os_error("rename to", path, err));
  }
  // The rename itself is durable only once the directory is.
  const std::string dir = directory_of(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return tl::unexpected(os_error("open directory", dir, errno));
  if (::fsync(dfd.get()) != 0) return tl::unexpected(os_error("fsync directory", dir, errno));
  return {};
}

}  // namespace dnspush::zone
