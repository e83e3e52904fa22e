#include "zone/journal.hpp"

#include <lmdb.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "zone/journal_codec.hpp"

namespace dnspush::zone {

namespace codec = journal_codec;

struct Journal::Env {
  MDB_env* env = nullptr;
  MDB_dbi changesets = 0;  // key: origin (lowercase wire) | seq u64 big-endian
  MDB_dbi snapshots = 0;   // key: origin
  MDB_dbi meta = 0;        // key: origin
  std::size_t map_size = 0;

  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env() {
    if (env != nullptr) mdb_env_close(env);
  }
};

namespace {

constexpr std::size_t kSeqSize = 8;

Error lmdb_error(std::string_view what, int rc, std::size_t map_size = 0) {
  std::string msg = "journal: " + std::string(what) + ": " + mdb_strerror(rc);
  if (rc == MDB_MAP_FULL) {
    msg += " (map size " + std::to_string(map_size) +
           " bytes; compact the zone's journal or raise the journal map size)";
  }
  return Error{Errc::kIo, std::move(msg)};
}

// One LMDB transaction; aborted unless committed (RAII, so every error path unwinds).
class Txn {
 public:
  static Result<Txn> begin(MDB_env* env, bool write) {
    MDB_txn* t = nullptr;
    if (int rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &t); rc != 0) {
      return tl::unexpected(lmdb_error(write ? "begin write" : "begin read", rc));
    }
    return Txn(t);
  }
  Txn(Txn&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  Txn& operator=(Txn&&) = delete;
  ~Txn() {
    if (t_ != nullptr) mdb_txn_abort(t_);
  }
  // For a write transaction this is where LMDB writes and fsyncs: durable on success.
  Result<void> commit(std::size_t map_size) {
    const int rc = mdb_txn_commit(std::exchange(t_, nullptr));
    if (rc != 0) return tl::unexpected(lmdb_error("commit", rc, map_size));
    return {};
  }
  MDB_txn* get() const { return t_; }

 private:
  explicit Txn(MDB_txn* t) : t_(t) {}
  MDB_txn* t_;
};

// Keys.
std::string zone_key(const wire::Name& origin) {
  const wire::Name lower = origin.to_lower();  // keep it alive: wire() is a view into it
  const auto w = lower.wire();
  return std::string(reinterpret_cast<const char*>(w.data()), w.size());
}
std::string changeset_key(const std::string& zkey, std::uint64_t seq) {
  std::string k = zkey;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((seq >> (8 * i)) & 0xFFu));
  return k;
}
// The sequence of a changeset key of zone `zkey`, or nullopt when the key belongs to
// another zone. (A wire name is prefix-free: it ends at its root label, so no other
// zone's key starts with this zone's origin.)
std::optional<std::uint64_t> key_seq(const MDB_val& k, const std::string& zkey) {
  if (k.mv_size != zkey.size() + kSeqSize) return std::nullopt;
  const auto* p = static_cast<const std::uint8_t*>(k.mv_data);
  if (!std::equal(zkey.begin(), zkey.end(), reinterpret_cast<const char*>(p))) return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < kSeqSize; ++i) seq = (seq << 8) | p[zkey.size() + i];
  return seq;
}

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
MDB_val to_val(std::span<const std::uint8_t> s) {
  return MDB_val{s.size(), const_cast<std::uint8_t*>(s.data())};
}
std::span<const std::uint8_t> bytes_of(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}

// nullopt when absent.
Result<std::optional<std::span<const std::uint8_t>>> get(MDB_txn* t, MDB_dbi dbi,
                                                         std::string_view key) {
  MDB_val k = to_val(key), v{};
  const int rc = mdb_get(t, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::span<const std::uint8_t>>();
  if (rc != 0) return tl::unexpected(lmdb_error("get", rc));
  return std::optional(bytes_of(v));
}

Result<void> put(MDB_txn* t, MDB_dbi dbi, std::string_view key, std::span<const std::uint8_t> value,
                 unsigned flags, std::size_t map_size) {
  MDB_val k = to_val(key), v = to_val(value);
  if (int rc = mdb_put(t, dbi, &k, &v, flags); rc != 0) {
    return tl::unexpected(lmdb_error("put", rc, map_size));
  }
  return {};
}

Result<void> del(MDB_txn* t, MDB_dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  const int rc = mdb_del(t, dbi, &k, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return tl::unexpected(lmdb_error("delete", rc));
  return {};
}

Result<codec::Meta> read_meta(MDB_txn* t, MDB_dbi dbi, const std::string& zkey,
                              const wire::Name& origin) {
  auto v = get(t, dbi, zkey);
  if (!v) return tl::unexpected(v.error());
  if (!*v) return codec::Meta{};
  auto m = codec::decode_meta(**v);
  if (!m) {
    return fail(m.error().code, "zone " + origin.to_text() + ": " + m.error().message);
  }
  return m;
}

class Cursor {
 public:
  static Result<Cursor> open(MDB_txn* t, MDB_dbi dbi) {
    MDB_cursor* c = nullptr;
    if (int rc = mdb_cursor_open(t, dbi, &c); rc != 0) {
      return tl::unexpected(lmdb_error("cursor", rc));
    }
    return Cursor(c);
  }
  Cursor(Cursor&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Cursor& operator=(Cursor&&) = delete;
  ~Cursor() {
    if (c_ != nullptr) mdb_cursor_close(c_);
  }
  // false at the end; errors other than "not found" are returned.
  Result<bool> get(MDB_val& k, MDB_val& v, MDB_cursor_op op) {
    const int rc = mdb_cursor_get(c_, &k, &v, op);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return tl::unexpected(lmdb_error("cursor get", rc));
    return true;
  }

 private:
  explicit Cursor(MDB_cursor* c) : c_(c) {}
  MDB_cursor* c_;
};

struct Stored {
  std::uint64_t seq;
  std::span<const std::uint8_t> value;  // valid while the transaction lives
};

// Every changeset of the zone, oldest first (values stay inside the transaction's map).
Result<std::vector<Stored>> list_changesets(MDB_txn* t, MDB_dbi dbi, const std::string& zkey) {
  auto c = Cursor::open(t, dbi);
  if (!c) return tl::unexpected(c.error());
  std::vector<Stored> out;
  const std::string first = changeset_key(zkey, 0);
  MDB_val k = to_val(first), v{};
  auto more = c->get(k, v, MDB_SET_RANGE);
  while (more && *more) {
    const auto seq = key_seq(k, zkey);
    if (!seq) break;
    out.push_back({*seq, bytes_of(v)});
    more = c->get(k, v, MDB_NEXT);
  }
  if (!more) return tl::unexpected(more.error());
  return out;
}

std::string describe(const wire::Name& origin, std::uint64_t seq) {
  return "zone " + origin.to_text() + " journal changeset #" + std::to_string(seq);
}

// The chain from `from` to the newest serial, decoded; see changesets_since().
Result<std::optional<std::vector<Changeset>>> collect_since(MDB_txn* t, MDB_dbi dbi,
                                                            const std::string& zkey,
                                                            const wire::Name& origin,
                                                            const codec::Meta& meta, Serial from) {
  using Out = std::optional<std::vector<Changeset>>;
  if (!meta.has_last) return Out();
  if (meta.last_serial == from) return Out(std::vector<Changeset>{});
  auto all = list_changesets(t, dbi, zkey);
  if (!all) return tl::unexpected(all.error());
  // RFC 1995 §4: the difference sequence starts at the client's serial. Searching from
  // the newest end finds the newest occurrence when the serial wrapped in the journal.
  std::optional<std::size_t> start;
  for (std::size_t i = all->size(); i-- > 0;) {
    auto h = codec::peek_changeset((*all)[i].value);
    if (!h) return fail(h.error().code, describe(origin, (*all)[i].seq) + ": " + h.error().message);
    if (h->serial_from == from) {
      start = i;
      break;
    }
  }
  if (!start) return Out();
  std::vector<Changeset> out;
  out.reserve(all->size() - *start);
  for (std::size_t i = *start; i < all->size(); ++i) {
    auto c = codec::decode_changeset((*all)[i].value);
    if (!c) return fail(c.error().code, describe(origin, (*all)[i].seq) + ": " + c.error().message);
    if (!out.empty() && c->serial_from() != out.back().serial_to()) {
      return fail(Errc::kMalformed, describe(origin, (*all)[i].seq) + ": starts at serial " +
                                        std::to_string(c->serial_from().value()) +
                                        " but the previous one ends at " +
                                        std::to_string(out.back().serial_to().value()));
    }
    out.push_back(std::move(*c));
  }
  if (out.back().serial_to() != meta.last_serial) {
    return fail(Errc::kMalformed,
                "zone " + origin.to_text() + " journal: the chain ends at serial " +
                    std::to_string(out.back().serial_to().value()) + " but the journal records " +
                    std::to_string(meta.last_serial.value()));
  }
  return Out(std::move(out));
}

// Checks one changeset against the chain and appends it inside `t`, updating `meta`.
Result<void> append_one(MDB_txn* t, MDB_dbi dbi, const std::string& zkey, const wire::Name& origin,
                        codec::Meta& meta, const Changeset& c, std::size_t map_size) {
  const auto refuse = [&](const std::string& why) {
    return fail(Errc::kRefused, "zone " + origin.to_text() + " journal append: " + why);
  };
  if (c.soa_from.type != wire::RRType::SOA || c.soa_to.type != wire::RRType::SOA ||
      !parse_soa(c.soa_from.rdata) || !parse_soa(c.soa_to.rdata)) {
    return refuse("soa_from/soa_to are not SOA records");
  }
  if (!(c.soa_from.owner == origin) || !(c.soa_to.owner == origin)) {
    return refuse("the SOA owner is not the zone's origin");
  }
  const Serial from = c.serial_from(), to = c.serial_to();
  // Every version has its own serial, later ones following earlier ones (RFC 1982), or
  // IXFR and the chain walk could not tell versions apart.
  if (!to.follows(from)) {
    return refuse("serial " + std::to_string(to.value()) + " does not follow " +
                  std::to_string(from.value()) + " (RFC 1982)");
  }
  if (meta.has_last && from != meta.last_serial) {
    return refuse("changeset starts at serial " + std::to_string(from.value()) +
                  " but the journal is at " + std::to_string(meta.last_serial.value()));
  }
  const auto value = codec::encode_changeset(c);
  if (auto ok = put(t, dbi, changeset_key(zkey, meta.next_seq), value, MDB_NOOVERWRITE, map_size);
      !ok) {
    return ok;
  }
  ++meta.next_seq;
  ++meta.count;
  meta.bytes += value.size();
  meta.has_last = true;
  meta.last_serial = to;
  return {};
}

bool exceeds(const codec::Meta& m, const JournalLimits& l) {
  // A bound of 0 means unbounded.
  return (l.max_changesets != 0 && m.count > l.max_changesets) ||
         (l.max_bytes != 0 && m.bytes > l.max_bytes);
}

}  // namespace

Journal::Journal(std::unique_ptr<Env> env, JournalOptions options)
    : env_(std::move(env)), options_(options) {}
Journal::Journal(Journal&& other) noexcept = default;
Journal& Journal::operator=(Journal&& other) noexcept = default;
Journal::~Journal() = default;

Result<Journal> Journal::open(const std::string& dir, const JournalOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, "journal: cannot create " + dir + ": " + ec.message());

  auto env = std::make_unique<Env>();
  env->map_size = options.map_size;
  if (int rc = mdb_env_create(&env->env); rc != 0) {
    env->env = nullptr;
    return tl::unexpected(lmdb_error("create environment", rc));
  }
  if (int rc = mdb_env_set_mapsize(env->env, options.map_size); rc != 0) {
    return tl::unexpected(lmdb_error("set map size", rc));
  }
  if (int rc = mdb_env_set_maxdbs(env->env, 3); rc != 0) {
    return tl::unexpected(lmdb_error("set max dbs", rc));
  }
  if (int rc = mdb_env_set_maxreaders(env->env, options.max_readers); rc != 0) {
    return tl::unexpected(lmdb_error("set max readers", rc));
  }
  // MDB_NOTLS: read transactions belong to their object, not to the thread (coroutines
  // and thread pools may resume elsewhere). No MDB_NOSYNC ever: commits are durable.
  unsigned flags = MDB_NOTLS;
  if (options.no_meta_sync) flags |= MDB_NOMETASYNC;
  if (int rc = mdb_env_open(env->env, dir.c_str(), flags, 0640); rc != 0) {
    return fail(Errc::kIo, "journal: open " + dir + ": " + mdb_strerror(rc));
  }
  // Reader slots left behind by a process that crashed would pin old pages forever.
  int dead = 0;
  (void)mdb_reader_check(env->env, &dead);

  auto txn = Txn::begin(env->env, true);
  if (!txn) return tl::unexpected(txn.error());
  const std::pair<const char*, MDB_dbi*> dbs[] = {
      {"changesets", &env->changesets}, {"snapshots", &env->snapshots}, {"meta", &env->meta}};
  for (const auto& [name, dbi] : dbs) {
    if (int rc = mdb_dbi_open(txn->get(), name, MDB_CREATE, dbi); rc != 0) {
      return tl::unexpected(lmdb_error(std::string("open database ") + name, rc));
    }
  }
  if (auto ok = txn->commit(options.map_size); !ok) return tl::unexpected(ok.error());
  return Journal(std::move(env), options);
}

Result<void> Journal::append(const wire::Name& origin, const Changeset& c) {
  return append_batch(origin, std::span<const Changeset>(&c, 1));
}

Result<void> Journal::append_batch(const wire::Name& origin, std::span<const Changeset> cs) {
  std::vector<Entry> entries;
  entries.reserve(cs.size());
  for (const auto& c : cs) entries.push_back({&origin, &c});
  return append_batch(entries);
}

Result<void> Journal::append_batch(std::span<const Entry> entries) {
  if (entries.empty()) return {};
  auto txn = Txn::begin(env_->env, true);
  if (!txn) return tl::unexpected(txn.error());
  // The zones touched by this batch and their meta, written once at the end.
  struct Touched {
    std::string zkey;
    const wire::Name* origin;
    codec::Meta meta;
  };
  std::vector<Touched> touched;
  for (const auto& e : entries) {
    std::string zkey = zone_key(*e.origin);
    auto it = std::find_if(touched.begin(), touched.end(),
                           [&](const Touched& z) { return z.zkey == zkey; });
    if (it == touched.end()) {
      auto m = read_meta(txn->get(), env_->meta, zkey, *e.origin);
      if (!m) return tl::unexpected(m.error());
      touched.push_back({std::move(zkey), e.origin, *m});
      it = touched.end() - 1;
    }
    if (auto ok = append_one(txn->get(), env_->changesets, it->zkey, *e.origin, it->meta,
                             *e.changeset, env_->map_size);
        !ok) {
      return ok;  // the transaction aborts: none of the batch is written
    }
  }
  for (const auto& z : touched) {
    if (auto ok =
            put(txn->get(), env_->meta, z.zkey, codec::encode_meta(z.meta), 0, env_->map_size);
        !ok) {
      return ok;
    }
  }
  return txn->commit(env_->map_size);
}

Result<std::optional<std::vector<Changeset>>> Journal::changesets_since(const wire::Name& origin,
                                                                        Serial from) const {
  auto txn = Txn::begin(env_->env, false);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(origin);
  auto meta = read_meta(txn->get(), env_->meta, zkey, origin);
  if (!meta) return tl::unexpected(meta.error());
  return collect_since(txn->get(), env_->changesets, zkey, origin, *meta, from);
}

Result<std::shared_ptr<const Zone>> Journal::load(const wire::Name& origin,
                                                  std::shared_ptr<const Zone> base,
                                                  JournalLoadInfo* info) const {
  auto txn = Txn::begin(env_->env, false);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(origin);
  auto meta = read_meta(txn->get(), env_->meta, zkey, origin);
  if (!meta) return tl::unexpected(meta.error());
  const std::string zone_name = "zone " + origin.to_text();

  // The starting point: the snapshot when it is newer than the master file.
  std::shared_ptr<const Zone> zone = base;
  bool from_snapshot = false;
  auto snap = get(txn->get(), env_->snapshots, zkey);
  if (!snap) return tl::unexpected(snap.error());
  if (*snap) {
    auto serial = codec::peek_snapshot_serial(**snap);
    if (!serial) return fail(serial.error().code, zone_name + ": " + serial.error().message);
    if (!base || serial->follows(base->serial())) {
      auto decoded = codec::decode_snapshot(**snap);
      if (!decoded) return fail(decoded.error().code, zone_name + ": " + decoded.error().message);
      ZoneBuilder b(origin);
      for (const auto& r : decoded->records) {
        if (auto ok = b.add(r); !ok) {
          return fail(Errc::kMalformed, zone_name + " journal snapshot: " + ok.error().message);
        }
      }
      auto z = std::move(b).finish();
      if (!z) return fail(Errc::kMalformed, zone_name + " journal snapshot: " + z.error().message);
      zone = std::move(*z);
      from_snapshot = true;
    }
  }
  if (!zone) {
    return fail(Errc::kNotFound, zone_name + ": no master file zone and no journal snapshot");
  }

  const Serial start = zone->serial();
  std::size_t replayed = 0;
  if (meta->has_last) {
    auto chain = collect_since(txn->get(), env_->changesets, zkey, origin, *meta, start);
    if (!chain) return tl::unexpected(chain.error());
    if (!*chain) {
      // The journal does not continue this zone: replaying would corrupt it, skipping
      // would drop answered UPDATEs. Refuse (see journal.hpp for the policy).
      std::string why = zone_name + ": the journal does not belong to this zone file: it";
      auto all = list_changesets(txn->get(), env_->changesets, zkey);
      if (all && !all->empty()) {
        if (auto h = codec::peek_changeset(all->front().value); h) {
          why += " holds serials " + std::to_string(h->serial_from.value()) + " to";
        } else {
          why += " ends at";
        }
      } else {
        why += " ends at";
      }
      why += " " + std::to_string(meta->last_serial.value()) + ", the zone file has serial " +
             std::to_string(start.value());
      if (start.follows(meta->last_serial)) {
        why += " (the file was edited after the journal's last change)";
      }
      why += "; restore the zone file or discard the zone's journal";
      return fail(Errc::kRefused, std::move(why));
    }
    for (const auto& c : **chain) {
      auto next = zone->apply(c);
      if (!next) {
        return fail(Errc::kRefused, zone_name + ": journal changeset " +
                                        std::to_string(c.serial_from().value()) + " -> " +
                                        std::to_string(c.serial_to().value()) +
                                        " does not apply: " + next.error().message);
      }
      zone = std::move(*next);
      ++replayed;
    }
  }
  if (info != nullptr) *info = {from_snapshot, replayed, zone->serial()};
  return zone;
}

Result<bool> Journal::needs_compaction(const wire::Name& origin,
                                       const std::optional<JournalLimits>& limits) const {
  auto txn = Txn::begin(env_->env, false);
  if (!txn) return tl::unexpected(txn.error());
  auto meta = read_meta(txn->get(), env_->meta, zone_key(origin), origin);
  if (!meta) return tl::unexpected(meta.error());
  return exceeds(*meta, limits.value_or(options_.limits));
}

Result<void> Journal::compact(const wire::Name& origin, const Zone& current,
                              const std::optional<JournalLimits>& limits) {
  const std::string zone_name = "zone " + origin.to_text();
  if (!(current.origin() == origin)) {
    return fail(Errc::kRefused,
                zone_name + " journal compact: the zone has origin " + current.origin().to_text());
  }
  auto txn = Txn::begin(env_->env, true);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(origin);
  auto meta = read_meta(txn->get(), env_->meta, zkey, origin);
  if (!meta) return tl::unexpected(meta.error());
  if (meta->has_last && current.serial() != meta->last_serial) {
    return fail(Errc::kRefused, zone_name + " journal compact: the zone is at serial " +
                                    std::to_string(current.serial().value()) +
                                    " but the journal at " +
                                    std::to_string(meta->last_serial.value()));
  }
  const auto records = current.records();
  if (auto ok = put(txn->get(), env_->snapshots, zkey, codec::encode_snapshot(records), 0,
                    env_->map_size);
      !ok) {
    return ok;
  }

  // Keep the newest half of each bound (so IXFR still reaches recent serials); drop the
  // rest, oldest first.
  const JournalLimits l = limits.value_or(options_.limits);
  const std::size_t keep_count = l.max_changesets == 0 ? SIZE_MAX : l.max_changesets / 2;
  const std::size_t keep_bytes = l.max_bytes == 0 ? SIZE_MAX : l.max_bytes / 2;
  auto all = list_changesets(txn->get(), env_->changesets, zkey);
  if (!all) return tl::unexpected(all.error());
  std::size_t kept = 0, kept_bytes = 0;
  while (kept < all->size() && kept < keep_count) {
    const std::size_t sz = (*all)[all->size() - 1 - kept].value.size();
    if (kept_bytes + sz > keep_bytes) break;
    kept_bytes += sz;
    ++kept;
  }
  // Copy the keys first: deleting invalidates the spans into the map.
  std::vector<std::uint64_t> doomed;
  for (std::size_t i = 0; i + kept < all->size(); ++i) doomed.push_back((*all)[i].seq);
  for (std::uint64_t seq : doomed) {
    if (auto ok = del(txn->get(), env_->changesets, changeset_key(zkey, seq)); !ok) return ok;
  }
  meta->count = kept;
  meta->bytes = kept_bytes;
  meta->has_last = true;
  meta->last_serial = current.serial();
  if (auto ok = put(txn->get(), env_->meta, zkey, codec::encode_meta(*meta), 0, env_->map_size);
      !ok) {
    return ok;
  }
  return txn->commit(env_->map_size);
}

Journal::EncodedSnapshot Journal::encode_snapshot(const Zone& z) {
  // Loading rebuilds the zone with a ZoneBuilder, which takes records in any order.
  const auto records = z.records_unordered();
  return EncodedSnapshot{z.origin(), z.serial(), codec::encode_snapshot(records)};
}

Result<void> Journal::install_snapshot(const EncodedSnapshot& s,
                                       const std::optional<JournalLimits>& limits) {
  const std::string zone_name = "zone " + s.origin.to_text();
  const auto refuse = [&](const std::string& why) {
    return fail(Errc::kRefused, zone_name + " journal snapshot at serial " +
                                    std::to_string(s.serial.value()) + ": " + why);
  };
  auto txn = Txn::begin(env_->env, true);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(s.origin);
  auto meta = read_meta(txn->get(), env_->meta, zkey, s.origin);
  if (!meta) return tl::unexpected(meta.error());
  auto all = list_changesets(txn->get(), env_->changesets, zkey);
  if (!all) return tl::unexpected(all.error());

  // How many of the newest changesets come after the snapshot; they must all stay.
  std::size_t after = 0;
  if (meta->has_last && meta->last_serial != s.serial) {
    std::optional<std::size_t> at;  // the newest changeset ending at the snapshot's serial
    for (std::size_t i = all->size(); i-- > 0;) {
      auto h = codec::peek_changeset((*all)[i].value);
      if (!h)
        return fail(h.error().code, describe(s.origin, (*all)[i].seq) + ": " + h.error().message);
      if (h->serial_to == s.serial) {
        at = i;
        break;
      }
    }
    if (!at) return refuse("the journal's chain does not reach it");
    after = all->size() - 1 - *at;
  }
  auto old = get(txn->get(), env_->snapshots, zkey);
  if (!old) return tl::unexpected(old.error());
  if (*old) {
    auto serial = codec::peek_snapshot_serial(**old);
    if (serial && serial->follows(s.serial)) return refuse("the stored snapshot is newer");
  }
  if (auto ok = put(txn->get(), env_->snapshots, zkey, s.bytes, 0, env_->map_size); !ok) return ok;

  // As compact(): the newest half of each bound, but never fewer than `after`.
  const JournalLimits l = limits.value_or(options_.limits);
  const std::size_t keep_count = l.max_changesets == 0 ? SIZE_MAX : l.max_changesets / 2;
  const std::size_t keep_bytes = l.max_bytes == 0 ? SIZE_MAX : l.max_bytes / 2;
  std::size_t kept = 0, kept_bytes = 0;
  while (kept < all->size()) {
    const std::size_t sz = (*all)[all->size() - 1 - kept].value.size();
    if (kept >= after && (kept >= keep_count || kept_bytes + sz > keep_bytes)) break;
    kept_bytes += sz;
    ++kept;
  }
  std::vector<std::uint64_t> doomed;  // copied first: deleting invalidates the spans
  for (std::size_t i = 0; i + kept < all->size(); ++i) doomed.push_back((*all)[i].seq);
  for (std::uint64_t seq : doomed) {
    if (auto ok = del(txn->get(), env_->changesets, changeset_key(zkey, seq)); !ok) return ok;
  }
  meta->count = kept;
  meta->bytes = kept_bytes;
  if (!meta->has_last) {
    meta->has_last = true;
    meta->last_serial = s.serial;
  }
  if (auto ok = put(txn->get(), env_->meta, zkey, codec::encode_meta(*meta), 0, env_->map_size);
      !ok) {
    return ok;
  }
  return txn->commit(env_->map_size);
}

Result<void> Journal::reset(const EncodedSnapshot& s) {
  auto txn = Txn::begin(env_->env, true);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(s.origin);
  auto meta = read_meta(txn->get(), env_->meta, zkey, s.origin);
  if (!meta) return tl::unexpected(meta.error());
  auto all = list_changesets(txn->get(), env_->changesets, zkey);
  if (!all) return tl::unexpected(all.error());
  std::vector<std::uint64_t> doomed;  // copied first: deleting invalidates the spans
  for (const auto& c : *all) doomed.push_back(c.seq);
  for (std::uint64_t seq : doomed) {
    if (auto ok = del(txn->get(), env_->changesets, changeset_key(zkey, seq)); !ok) return ok;
  }
  if (auto ok = put(txn->get(), env_->snapshots, zkey, s.bytes, 0, env_->map_size); !ok) return ok;
  // The sequence keeps counting up: keys are never reused within a zone.
  meta->has_last = true;
  meta->last_serial = s.serial;
  meta->count = 0;
  meta->bytes = 0;
  if (auto ok = put(txn->get(), env_->meta, zkey, codec::encode_meta(*meta), 0, env_->map_size);
      !ok) {
    return ok;
  }
  return txn->commit(env_->map_size);
}

Result<void> Journal::drop(const wire::Name& origin) {
  auto txn = Txn::begin(env_->env, true);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(origin);
  auto all = list_changesets(txn->get(), env_->changesets, zkey);
  if (!all) return tl::unexpected(all.error());
  std::vector<std::uint64_t> doomed;
  for (const auto& s : *all) doomed.push_back(s.seq);
  for (std::uint64_t seq : doomed) {
    if (auto ok = del(txn->get(), env_->changesets, changeset_key(zkey, seq)); !ok) return ok;
  }
  if (auto ok = del(txn->get(), env_->snapshots, zkey); !ok) return ok;
  if (auto ok = del(txn->get(), env_->meta, zkey); !ok) return ok;
  return txn->commit(env_->map_size);
}

Result<JournalUsage> Journal::usage(const wire::Name& origin) const {
  auto txn = Txn::begin(env_->env, false);
  if (!txn) return tl::unexpected(txn.error());
  const std::string zkey = zone_key(origin);
  auto meta = read_meta(txn->get(), env_->meta, zkey, origin);
  if (!meta) return tl::unexpected(meta.error());
  JournalUsage u;
  u.changesets = meta->count;
  u.bytes = meta->bytes;
  if (meta->has_last) u.last_serial = meta->last_serial;
  auto all = list_changesets(txn->get(), env_->changesets, zkey);
  if (!all) return tl::unexpected(all.error());
  if (!all->empty()) {
    auto h = codec::peek_changeset(all->front().value);
    if (!h)
      return fail(h.error().code, describe(origin, all->front().seq) + ": " + h.error().message);
    u.first_serial = h->serial_from;
  }
  auto snap = get(txn->get(), env_->snapshots, zkey);
  if (!snap) return tl::unexpected(snap.error());
  if (*snap) {
    auto s = codec::peek_snapshot_serial(**snap);
    if (!s) return fail(s.error().code, "zone " + origin.to_text() + ": " + s.error().message);
    u.snapshot_serial = *s;
    u.snapshot_bytes = (*snap)->size();
  }
  return u;
}

}  // namespace dnspush::zone
