#include "server/zone_manager.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/log_limiter.hpp"
#include "io/loop.hpp"
#include "server/answers.hpp"
#include "server/zone_start.hpp"
#include "update/update.hpp"
#include "xfr/acl.hpp"
#include "zone/zone_diff.hpp"
#include "zone/zone_file.hpp"
#include "zone/zone_writer.hpp"

namespace dnspush::server {

namespace fs = std::filesystem;
using wire::Rcode;

std::uint64_t system_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string tsig_error_text(wire::Rcode r) {
  switch (static_cast<unsigned>(r)) {
    case 16:
      return "BADSIG";
    case 17:
      return "BADKEY";
    case 18:
      return "BADTIME";
    case 22:
      return "BADTRUNC";
    default:
      return wire::to_text(r);
  }
}

std::shared_ptr<const wire::TsigKeyring> make_keyring(const Config& c) {
  auto ring = std::make_shared<wire::TsigKeyring>();
  for (const auto& k : c.keys) (void)ring->add(k);  // names are unique (config checked)
  return ring;
}

namespace {

xfr::IpAddress ip_of(const auth::ClientAddress& a) {
  auto ip = xfr::IpAddress::from_bytes(std::span(a.bytes.data(), a.v6 ? 16u : 4u));
  return ip ? *ip : xfr::IpAddress::v4({0, 0, 0, 0});
}

}  // namespace

struct ZoneManager::Impl {
  struct ZoneState {
    const ZoneConfig* config = nullptr;
    wire::Name origin;
    // Write-back (RFC-less, operational): at most once per interval.
    bool dirty = false;
    std::optional<std::chrono::steady_clock::time_point> last_write;
    std::optional<io::Loop::TimerId> write_timer;
  };

  // One configuration in effect: its zones by origin and its TSIG keys. A reload
  // (reconfigure) adds a generation and makes it live; none is ever freed, so a
  // ZoneConfig* or keyring reference handed to an io thread stays valid (a few KB a reload).
  struct Generation {
    Config config;
    std::shared_ptr<const wire::TsigKeyring> keyring;
    std::unordered_map<wire::Name, const ZoneConfig*, wire::NameHash> zones;
  };
  std::deque<std::unique_ptr<Generation>> generations;  // appended on the writer's thread
  std::atomic<const Generation*> live{nullptr};
  const Config& cfg() const { return live.load()->config; }
  void add_generation(std::unique_ptr<Generation> g) {
    generations.push_back(std::move(g));
    live.store(generations.back().get());
  }

  auth::Responder& responder;
  ZoneManagerOptions opts;
  zone::Journal journal;
  io::Loop loop;
  std::vector<std::shared_ptr<ChangesetListener>> listeners;
  std::unordered_map<wire::Name, std::unique_ptr<ZoneState>, wire::NameHash> zones;
  // The writer's own view of what is served (written on the writer's thread only): the
  // responder gets each new catalogue after it is durable, the listeners each commit after
  // the catalogue that contains it.
  std::shared_ptr<const zone::Catalogue> catalogue;
  std::uint64_t version = 0;  // of the last commit

  // Journal compaction runs on its own thread, one at a time: serialising a zone for the
  // snapshot costs O(zone) (about 0.2 s at 100k names), and done on the writer's thread
  // it stalled every UPDATE behind it, so the commit rate fell as the zone grew.
  std::thread compactor;
  std::atomic<bool> compacting{false};

  mutable std::mutex frozen_m;
  std::unordered_set<wire::Name, wire::NameHash> frozen;  // under frozen_m
  bool is_frozen(const wire::Name& origin) const {
    std::lock_guard lock(frozen_m);
    return frozen.count(origin) != 0;
  }

  std::mutex m;  // guards queue, drain_posted, accepting
  std::deque<UpdateRequest> queue;
  bool drain_posted = false;
  bool accepting = true;
  bool stopped = false;
  std::atomic<bool> started{false};

  Impl(Config c, auth::Responder& r, ZoneManagerOptions o, zone::Journal j)
      : responder(r), opts(std::move(o)), journal(std::move(j)) {
    add_generation(make_generation(std::move(c)));
  }
  static std::unique_ptr<Generation> make_generation(Config c) {
    auto g = std::make_unique<Generation>();
    g->config = std::move(c);
    g->keyring = make_keyring(g->config);
    for (const auto& zc : g->config.zones) {
      if (auto o = wire::Name::from_text(zc.origin)) g->zones.emplace(*o, &zc);
    }
    return g;
  }
  Result<std::string> apply_config(Config next);
  ~Impl() { join_compaction(); }

  // A secondary zone's copy from the journal alone (snapshot + changesets); null when the
  // journal holds none.
  Result<std::shared_ptr<const zone::Zone>> load_secondary(const wire::Name& origin);
  void apply_transfer(TransferCommit& t);
  void mark_expired(const wire::Name& origin, bool expired);
  void reload_zone(const ZoneConfig& zc);
  void drain();
  void process_batch(std::deque<UpdateRequest>& batch);
  struct Change {
    wire::Name origin;
    std::shared_ptr<const zone::Zone> before, after;
    zone::Changeset cs;
  };
  // Publishes durable changes to the responder as one catalogue and returns them as
  // commits, one version each; announce() then hands them to every listener, in order.
  std::vector<zone::CommitPtr> publish(std::vector<Change>& changes);
  void announce(const std::vector<zone::CommitPtr>& commits);
  void after_commit(const wire::Name& origin);
  void start_compaction(std::shared_ptr<const zone::Zone> z);
  void join_compaction();
  void write_back(ZoneState& z);
  void schedule_write_back(ZoneState& z);
  std::shared_ptr<const zone::Zone> current(const wire::Name& origin) const {
    const auto* z = catalogue ? catalogue->find_exact(origin) : nullptr;
    return z ? *z : nullptr;
  }
  fs::path write_back_path(const wire::Name& origin) const {
    std::string name = origin.to_text();
    if (name == ".") name = "root.";
    return cfg().state_dir / "zones" / (name + "zone");
  }
};

Result<std::shared_ptr<const zone::Zone>> ZoneManager::Impl::load_secondary(
    const wire::Name& origin) {
  zone::JournalLoadInfo info;
  auto z = journal.load(origin, nullptr, &info);
  if (!z && z.error().code == Errc::kNotFound) {
    spdlog::info(
        "zone {}: secondary, no copy in the journal yet: SERVFAIL until the first "
        "transfer",
        origin.to_text());
    return std::shared_ptr<const zone::Zone>();
  }
  if (!z) {
    return fail(z.error().code, "zone " + origin.to_text() + ": journal: " + z.error().message +
                                    " (a secondary zone: removing its journal makes it "
                                    "transfer the zone afresh)");
  }
  spdlog::info(
      "zone {}: secondary copy loaded from the journal: serial {} ({} records, {} "
      "changeset{} replayed)",
      origin.to_text(), (*z)->serial().value(), (*z)->record_count(), info.replayed,
      info.replayed == 1 ? "" : "s");
  return z;
}

Result<std::unique_ptr<ZoneManager>> ZoneManager::create(const Config& c,
                                                         auth::Responder& responder,
                                                         ZoneManagerOptions o) {
  zone::JournalOptions jo;
  jo.no_meta_sync = c.journal.no_meta_sync;
  jo.limits.max_changesets = c.journal.max_changesets;
  jo.limits.max_bytes = c.journal.max_bytes;
  // The map must hold at least the bounded changesets of every zone and their snapshots.
  jo.map_size = std::max<std::size_t>(
      jo.map_size, 4 * c.journal.max_bytes * std::max<std::size_t>(1, c.zones.size()));
  const fs::path dir = c.state_dir / "journal";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, dir.string() + ": " + ec.message());
  auto j = zone::Journal::open(dir.string(), jo);
  if (!j) return fail(j.error().code, "journal " + dir.string() + ": " + j.error().message);

  auto impl = std::make_unique<Impl>(c, responder, std::move(o), std::move(*j));
  auto cat = std::make_shared<const zone::Catalogue>();
  for (const auto& zc : impl->cfg().zones) {
    auto st = std::make_unique<Impl::ZoneState>();
    st->config = &zc;
    if (zc.is_secondary()) {
      auto origin = wire::Name::from_text(zc.origin);
      if (!origin) return fail(Errc::kInvalidConfig, zc.origin + ": " + origin.error().message);
      st->origin = *origin;
      auto z = impl->load_secondary(*origin);
      if (!z) return tl::unexpected(z.error());
      // No copy yet: configured but unavailable (SERVFAIL) until the first transfer.
      cat = *z ? cat->with(*z) : cat->with_unavailable(*origin, true);
    } else {
      auto z = start_primary_zone(zc, impl->journal, impl->cfg().state_dir);
      if (!z) return tl::unexpected(z.error());
      cat = cat->with(*z);
      st->origin = (*z)->origin();
    }
    impl->zones.emplace(st->origin, std::move(st));
  }
  impl->catalogue = cat;
  responder.set_catalogue(cat);
  return std::unique_ptr<ZoneManager>(new ZoneManager(std::move(impl)));
}

ZoneManager::ZoneManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZoneManager::~ZoneManager() {
  stop();
}

void ZoneManager::add_listener(std::shared_ptr<ChangesetListener> l) {
  impl_->listeners.push_back(std::move(l));
}

void ZoneManager::start() {
  impl_->started = true;
  impl_->loop.start();
}

void ZoneManager::stop() {
  std::deque<UpdateRequest> left;
  {
    std::lock_guard lock(impl_->m);
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->accepting = false;
    left.swap(impl_->queue);
  }
  impl_->loop.stop();
  // Not processed: those clients get no answer and retry (nothing was changed for them).
  left.clear();
  impl_->join_compaction();
  for (auto& [origin, z] : impl_->zones) {
    if (z->dirty) impl_->write_back(*z);
  }
}

void ZoneManager::submit_update(UpdateRequest request) {
  std::lock_guard lock(impl_->m);
  if (!impl_->accepting) return;  // the reply drops
  if (impl_->queue.size() >= impl_->opts.max_queued) {
    if (auto* m = impl_->opts.metrics) {
      m->add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kUpdateQueue));
      m->add(Counter::kUpdates, static_cast<std::size_t>(Rcode::SERVFAIL));
    }
    // DESIGN.md "bounded everything": past the bound the UPDATE fails visibly.
    request.reply.send(rcode_answer(request.message, Rcode::SERVFAIL, WithQuestion::kNo,
                                    request.ctx, impl_->responder.options(), request.tsig,
                                    impl_->opts.now()));
    return;
  }
  impl_->queue.push_back(std::move(request));
  if (!impl_->drain_posted) {
    impl_->drain_posted = true;
    Impl* raw = impl_.get();
    impl_->loop.post([raw] { raw->drain(); });
  }
}

bool ZoneManager::reload(const wire::Name& origin) {
  if (zone_config(origin) == nullptr) return false;
  Impl* raw = impl_.get();
  // Looked up again on the writer's thread: a configuration reload may have removed it.
  impl_->loop.post([raw, origin] {
    const auto it = raw->zones.find(origin);
    if (it != raw->zones.end() && !it->second->config->is_secondary()) {
      raw->reload_zone(*it->second->config);
    }
  });
  return true;
}

Result<std::string> ZoneManager::reconfigure(Config next) {
  auto done = std::make_shared<std::promise<Result<std::string>>>();
  auto result = done->get_future();
  Impl* raw = impl_.get();
  auto shared = std::make_shared<Config>(std::move(next));
  impl_->loop.post([raw, shared, done] { done->set_value(raw->apply_config(std::move(*shared))); });
  // Loading added zones may take a while (a big zone file); bounded all the same.
  if (result.wait_for(std::chrono::seconds(300)) != std::future_status::ready) {
    return fail(Errc::kIo, "the zone writer did not finish within 300 s");
  }
  return result.get();
}

const Config& ZoneManager::current_config() const {
  return impl_->cfg();
}

// On the writer's thread, between batches: every zone change stays with the one writer.
Result<std::string> ZoneManager::Impl::apply_config(Config next) {
  const Generation& old = *live.load();
  std::vector<std::string> notes;
  // Secondary zones keep their configuration: their transfer timers and primaries live in
  // the SecondaryService, which is set up once (docs/OPERATIONS.md: a restart applies it).
  std::vector<ZoneConfig> zones_next;
  std::unordered_set<wire::Name, wire::NameHash> seen_secondary;
  for (auto& zc : next.zones) {
    auto origin = wire::Name::from_text(zc.origin);
    if (!origin) return fail(Errc::kInvalidConfig, zc.origin + ": " + origin.error().message);
    const auto o = old.zones.find(*origin);
    const bool was_secondary = o != old.zones.end() && o->second->is_secondary();
    if (zc.is_secondary() || was_secondary) {
      if (zc.is_secondary() && was_secondary) {
        seen_secondary.insert(*origin);
      } else {
        notes.push_back(
            "zone " + origin->to_text() +
            (was_secondary ? ": a secondary zone turned primary" : ": a secondary zone added") +
            ": needs a restart, not applied");
      }
      continue;
    }
    zones_next.push_back(std::move(zc));
  }
  for (const auto& [origin, zc] : old.zones) {
    if (!zc->is_secondary()) continue;
    zones_next.push_back(*zc);
    if (seen_secondary.count(origin) == 0) {
      notes.push_back("zone " + origin.to_text() +
                      ": removing a secondary zone needs a restart, still served");
    }
  }
  next.zones = std::move(zones_next);
  auto gen = make_generation(std::move(next));

  // Every added zone loads before anything changes: one that fails refuses the whole
  // reload, and the previous configuration stays in effect.
  std::vector<std::pair<wire::Name, std::shared_ptr<const zone::Zone>>> added;
  for (const auto& [origin, zc] : gen->zones) {
    if (zones.count(origin) != 0 || zc->is_secondary()) continue;
    auto z = start_primary_zone(*zc, journal, gen->config.state_dir);
    if (!z) return tl::unexpected(z.error());
    added.emplace_back(origin, *z);
  }

  auto cat = catalogue ? catalogue : std::make_shared<const zone::Catalogue>();
  std::vector<std::string> removed_names, added_names;
  for (auto it = zones.begin(); it != zones.end();) {
    const auto g = gen->zones.find(it->first);
    if (g != gen->zones.end()) {
      it->second->config = g->second;  // new ACLs, write-back interval, ... for new work
      ++it;
      continue;
    }
    // RFC 8765 has no way for a server to end one subscription: those in the zone stay
    // with their sessions and hear nothing more; new ones are refused (not our zone).
    ZoneState& z = *it->second;
    if (z.write_timer) loop.cancel(*z.write_timer);
    if (z.dirty) write_back(z);
    {
      std::lock_guard lock(frozen_m);
      frozen.erase(it->first);
    }
    cat = cat->without(it->first);
    removed_names.push_back(it->first.to_text());
    it = zones.erase(it);
  }
  for (auto& [origin, z] : added) {
    auto st = std::make_unique<ZoneState>();
    st->config = gen->zones.at(origin);
    st->origin = origin;
    cat = cat->with(z, version);
    zones.emplace(origin, std::move(st));
    added_names.push_back(origin.to_text());
  }
  add_generation(std::move(gen));
  catalogue = cat;
  responder.set_catalogue(cat);
  // The zones kept: their files are reloaded as a zone reload does.
  std::size_t kept = 0;
  for (const auto& [origin, z] : zones) {
    bool is_new = false;
    for (const auto& a : added) is_new = is_new || a.first == origin;
    if (is_new || z->config->is_secondary()) continue;
    ++kept;
    reload_zone(*z->config);
  }
  const auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? std::string() : " (" + out + ")";
  };
  std::string summary = "configuration reloaded: " + std::to_string(added_names.size()) + " zone" +
                        (added_names.size() == 1 ? "" : "s") + " added" + list(added_names) + ", " +
                        std::to_string(removed_names.size()) + " removed" + list(removed_names) +
                        ", " + std::to_string(kept) + " reloaded from their files";
  for (const auto& n : notes) summary += "; " + n;
  return summary;
}

namespace {

Result<const ZoneConfig*> editable_zone(const ZoneManager& m, const wire::Name& origin) {
  const ZoneConfig* zc = m.zone_config(origin);
  if (zc == nullptr) return fail(Errc::kNotFound, "not a zone of this server: " + origin.to_text());
  if (zc->is_secondary()) {
    return fail(Errc::kRefused, origin.to_text() +
                                    " is a secondary zone: it has no zone file to edit (its "
                                    "data comes from its primaries)");
  }
  return zc;
}

}  // namespace

Result<std::string> ZoneManager::freeze(const wire::Name& origin) {
  auto zc = editable_zone(*this, origin);
  if (!zc) return tl::unexpected(zc.error());
  {
    std::lock_guard lock(impl_->frozen_m);
    // Written once: a second freeze must not overwrite what the operator is editing.
    if (!impl_->frozen.insert(origin).second) {
      return origin.to_text() + " is already frozen: edit " + (*zc)->file.string() + ", then thaw";
    }
  }
  // Every UPDATE the writer takes from now on is refused, and those it committed before are
  // in the zone it writes: the write runs on the writer's thread, after them.
  auto done = std::make_shared<std::promise<Result<Serial>>>();
  auto result = done->get_future();
  Impl* raw = impl_.get();
  impl_->loop.post([raw, origin, zc = *zc, done] {
    auto cur = raw->current(origin);
    if (!cur) return done->set_value(fail(Errc::kNotFound, "the zone is not loaded"));
    if (auto r = zone::write_zone_file(*cur, zc->file.string()); !r) {
      return done->set_value(tl::unexpected(r.error()));
    }
    remember_file_base(raw->cfg().state_dir, *cur);
    done->set_value(cur->serial());
  });
  Result<Serial> written = fail(Errc::kIo, "the zone writer did not answer within 30 s");
  if (result.wait_for(std::chrono::seconds(30)) == std::future_status::ready) {
    written = result.get();
  }
  if (!written) {
    std::lock_guard lock(impl_->frozen_m);
    impl_->frozen.erase(origin);
    spdlog::error("zone {}: freeze failed, UPDATEs still accepted: writing {}: {}",
                  origin.to_text(), (*zc)->file.string(), written.error().message);
    return fail(written.error().code, "writing " + (*zc)->file.string() + ": " +
                                          written.error().message + " (not frozen)");
  }
  spdlog::info("zone {}: frozen (UPDATEs refused until thaw); serial {} written to {}",
               origin.to_text(), written->value(), (*zc)->file.string());
  return origin.to_text() + " frozen: serial " + std::to_string(written->value()) + " written to " +
         (*zc)->file.string() + "; UPDATEs are refused until thaw";
}

Result<std::string> ZoneManager::thaw(const wire::Name& origin) {
  auto zc = editable_zone(*this, origin);
  if (!zc) return tl::unexpected(zc.error());
  {
    std::lock_guard lock(impl_->frozen_m);
    impl_->frozen.erase(origin);
  }
  spdlog::info("zone {}: thawed, reloading its file", origin.to_text());
  reload(origin);
  return origin.to_text() + " thawed, reloading its file";
}

bool ZoneManager::frozen(const wire::Name& origin) const {
  return impl_->is_frozen(origin);
}

void ZoneManager::reload() {
  Impl* raw = impl_.get();
  impl_->loop.post([raw] {
    for (const auto& zc : raw->cfg().zones) {
      if (!zc.is_secondary()) raw->reload_zone(zc);
    }
  });
}

void ZoneManager::submit_transfer(TransferCommit t) {
  Impl* raw = impl_.get();
  auto shared = std::make_shared<TransferCommit>(std::move(t));
  impl_->loop.post([raw, shared] { raw->apply_transfer(*shared); });
}

void ZoneManager::set_expired(const wire::Name& origin, bool expired) {
  Impl* raw = impl_.get();
  raw->loop.post([raw, origin, expired] { raw->mark_expired(origin, expired); });
}

void ZoneManager::expire_before_start(const wire::Name& origin) {
  if (impl_->started) return set_expired(origin, true);
  impl_->mark_expired(origin, true);  // the writer's thread does not run yet
}

void ZoneManager::Impl::mark_expired(const wire::Name& origin, bool expired) {
  auto cat = catalogue ? catalogue : std::make_shared<const zone::Catalogue>();
  if (cat->unavailable(origin) == expired) return;
  // RFC 1034 §4.3.5: the copy is kept (a later transfer is diffed against it) but not
  // answered from. The version does not move: no commit, nothing to push.
  catalogue = cat->with_unavailable(origin, expired);
  responder.set_catalogue(catalogue);
  if (expired) {
    spdlog::warn(
        "zone {}: expired (no successful refresh within the SOA expire time): "
        "answering SERVFAIL until a primary answers",
        origin.to_text());
  } else {
    spdlog::info("zone {}: current again", origin.to_text());
  }
}

// A transfer is one more source of changesets (DESIGN.md): journalled in one transaction,
// then published and announced exactly like a batch of UPDATEs.
void ZoneManager::Impl::apply_transfer(TransferCommit& t) {
  const auto refuse = [&](std::string why) {
    if (t.done) t.done(fail(Errc::kRefused, std::move(why)));
  };
  const auto zs = zones.find(t.origin);
  if (zs == zones.end() || !zs->second->config->is_secondary()) {
    return refuse("not a secondary zone");
  }
  auto& r = t.result;
  auto cur = current(t.origin);
  if (cur != r.base) return refuse("the zone changed while the transfer ran");
  auto cat = catalogue ? catalogue : std::make_shared<const zone::Catalogue>();
  const bool was_unavailable = cat->unavailable(t.origin);

  if (r.zone) {
    // A first copy: nothing to continue, so the journal starts over from a snapshot.
    if (auto ok = journal.reset(zone::Journal::encode_snapshot(*r.zone)); !ok) {
      return refuse("journal: " + ok.error().message);
    }
    catalogue = cat->with(r.zone, version)->with_unavailable(t.origin, false);
    responder.set_catalogue(catalogue);
    spdlog::info("zone {}: first copy, serial {} ({} records)", t.origin.to_text(),
                 r.zone->serial().value(), r.zone->record_count());
    after_commit(t.origin);
    if (t.done) t.done(r.zone->serial());
    return;
  }
  if (r.steps.empty()) {
    if (was_unavailable && cur) mark_expired(t.origin, false);
    if (t.done) t.done(cur ? cur->serial() : r.serial);
    return;
  }
  std::vector<zone::Journal::Entry> entries;
  entries.reserve(r.steps.size());
  for (const auto& s : r.steps) entries.push_back({&t.origin, &s.changeset});
  // Durable before it is served, as for UPDATE: one transaction for the whole transfer.
  if (auto ok = journal.append_batch(entries); !ok) {
    spdlog::error("zone {}: journal write failed, the transfer is not committed: {}",
                  t.origin.to_text(), ok.error().message);
    return refuse("journal: " + ok.error().message);
  }
  std::vector<Change> changes;
  changes.reserve(r.steps.size());
  auto before = r.base;
  for (auto& s : r.steps) {
    changes.push_back(Change{t.origin, before, s.after, std::move(s.changeset)});
    before = s.after;
  }
  // The same catalogue publishes the new version and ends an expiry.
  if (was_unavailable) catalogue = cat->with_unavailable(t.origin, false);
  announce(publish(changes));
  if (was_unavailable) spdlog::info("zone {}: current again", t.origin.to_text());
  after_commit(t.origin);
  if (t.done) t.done(before->serial());
}

// A reloaded zone file is one more source of changesets (DESIGN.md): the difference from
// the zone being served is applied, journalled, published and announced exactly like an
// UPDATE, so secondaries (IXFR), and later push and LLQ clients, see it. The file only
// wins when its serial is newer: after UPDATEs the unchanged file is older than the zone
// and is left alone, as Knot does.
void ZoneManager::Impl::reload_zone(const ZoneConfig& zc) {
  auto origin = wire::Name::from_text(zc.origin);
  if (!origin) return;
  auto current_zone = current(*origin);
  auto file = zone::load_zone_file(zc.file.string(), *origin);
  if (!file) {
    if (opts.metrics) opts.metrics->add(Counter::kReloads, 1);
    spdlog::error("reload of {} failed, keeping serial {}: {}", origin->to_text(),
                  current_zone ? current_zone->serial().value() : 0, file.error().message);
    return;
  }
  if (!current_zone) return;
  const auto base = read_file_base(cfg().state_dir, *origin);
  auto cmp = compare_with_journal(journal, *current_zone, **file, base.get());
  if (!cmp) {
    spdlog::error("reload of {}: {}", origin->to_text(), cmp.error().message);
    return;
  }
  switch (cmp->kind) {
    case zone::FileComparison::Kind::kNewer:
      break;
    case zone::FileComparison::Kind::kSame:
      spdlog::info("reload of {}: zone file unchanged (serial {})", origin->to_text(),
                   current_zone->serial().value());
      return;
    case zone::FileComparison::Kind::kEditedInPlace:
      // The same rule as at start-up: never applied, said once with the counts.
      spdlog::warn("{}", zone::describe_edited_in_place(*origin, *cmp));
      return;
    case zone::FileComparison::Kind::kOlder:
    case zone::FileComparison::Kind::kBeyondJournal:
      spdlog::info("reload of {}: zone file serial {} is not newer than the zone's {}: not used",
                   origin->to_text(), (*file)->serial().value(), current_zone->serial().value());
      return;
  }
  auto cs = std::move(cmp->change);
  const zone::Changeset& change = *cs;
  auto applied = current_zone->apply(change);
  if (!applied) {
    spdlog::error("reload of {}: the difference does not apply: {}", origin->to_text(),
                  applied.error().message);
    return;
  }
  // Durable before it is served, as for UPDATE.
  if (auto r = journal.append(*origin, change); !r) {
    spdlog::error("reload of {}: journal write failed, keeping serial {}: {}", origin->to_text(),
                  current_zone->serial().value(), r.error().message);
    return;
  }
  remember_file_base(cfg().state_dir, **file);
  spdlog::info("zone {}: reloaded from {}: serial {} -> {} ({} removed, {} added)",
               origin->to_text(), zc.file.string(), change.serial_from().value(),
               change.serial_to().value(), change.removed.size(), change.added.size());
  std::vector<Change> changes;
  changes.push_back(Change{*origin, current_zone, *applied, std::move(*cs)});
  announce(publish(changes));
  after_commit(*origin);
  if (opts.metrics) opts.metrics->add(Counter::kReloads, 0);
}

const zone::Journal& ZoneManager::journal() const {
  return impl_->journal;
}

const wire::TsigKeyring& ZoneManager::keyring() const {
  return *impl_->live.load()->keyring;
}

const ZoneConfig* ZoneManager::zone_config(const wire::Name& origin) const {
  const auto* g = impl_->live.load();
  auto it = g->zones.find(origin);
  return it == g->zones.end() ? nullptr : it->second;
}

fs::path ZoneManager::write_back_path(const wire::Name& origin) const {
  return impl_->write_back_path(origin);
}

void ZoneManager::Impl::drain() {
  std::deque<UpdateRequest> batch;
  {
    std::lock_guard lock(m);
    const std::size_t n = std::min(queue.size(), opts.max_batch);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    if (queue.empty()) {
      drain_posted = false;
    } else {
      loop.post([this] { drain(); });  // the rest in the next transaction
    }
  }
  if (!batch.empty()) process_batch(batch);
}

namespace {
LogLimiter refused_update_log;
}  // namespace

void ZoneManager::Impl::process_batch(std::deque<UpdateRequest>& batch) {
  const auto started = std::chrono::steady_clock::now();  // the commit latency histogram
  const std::uint64_t now = opts.now();
  auto cat = catalogue ? catalogue : std::make_shared<const zone::Catalogue>();
  std::vector<Rcode> rcodes(batch.size(), Rcode::NOERROR);
  std::vector<bool> after_first_change(batch.size(), false);  // decided on undurable changes
  std::vector<Change> changes;

  for (std::size_t i = 0; i < batch.size(); ++i) {
    after_first_change[i] = !changes.empty();
    const wire::Message& msg = batch[i].message;
    auto sel = update::select_zone(msg, *cat);
    if (sel.rcode != Rcode::NOERROR) {
      rcodes[i] = sel.rcode;
      spdlog::debug("UPDATE refused: {}", sel.reason);
      continue;
    }
    const wire::Name& origin = sel.zone->origin();
    const auto zs = zones.find(origin);
    const auto& tsig = batch[i].tsig;
    const wire::Name* key = tsig && tsig->key ? &tsig->key->name : nullptr;
    const auto from = ip_of(batch[i].ctx.client);
    // RFC 2136 §3.3: the permission check is local policy; REFUSED when denied.
    if (is_frozen(origin)) {
      rcodes[i] = Rcode::REFUSED;  // an operator is editing the file (dnspushctl freeze)
      continue;
    }
    if (zs == zones.end() || !zs->second->config->update.allows(from, key)) {
      rcodes[i] = Rcode::REFUSED;
      std::uint64_t suppressed = 0;
      if (refused_update_log.allow(Clock::now(), suppressed)) {
        spdlog::info("UPDATE of {} from {} {}: refused by policy{}", origin.to_text(),
                     from.to_text(), key ? "with key " + key->to_text() : "unsigned",
                     suppressed_note(suppressed));
      }
      continue;
    }
    auto out = update::process(msg, *sel.zone);
    rcodes[i] = out.rcode;
    if (!out.ok()) {
      spdlog::debug("UPDATE of {}: {}: {}", origin.to_text(), wire::to_text(out.rcode), out.reason);
      continue;
    }
    if (!out.changeset) continue;  // nothing changes: NOERROR, nothing to commit
    auto applied = sel.zone->apply(*out.changeset);
    if (!applied) {
      rcodes[i] = Rcode::SERVFAIL;
      spdlog::error("UPDATE of {}: the changeset does not apply: {}", origin.to_text(),
                    applied.error().message);
      continue;
    }
    changes.push_back(Change{origin, sel.zone, *applied, std::move(*out.changeset)});
    cat = cat->with(*applied);
  }

  bool durable = true;
  if (!changes.empty()) {
    std::vector<zone::Journal::Entry> entries;
    entries.reserve(changes.size());
    for (const auto& c : changes) entries.push_back({&c.origin, &c.cs});
    // Group commit: one transaction, one fsync, before any answer leaves.
    const auto t0 = std::chrono::steady_clock::now();
    auto r = journal.append_batch(entries);
    if (opts.metrics) {
      opts.metrics->observe(Histogram::kJournalFsync, std::chrono::steady_clock::now() - t0);
    }
    if (!r) {
      durable = false;
      spdlog::error("journal write failed, {} UPDATE{} answered SERVFAIL: {}", changes.size(),
                    changes.size() == 1 ? "" : "s", r.error().message);
    }
  }
  // Published before any answer leaves: a client that hears NOERROR and queries at once
  // sees its change. The listeners hear of it after the answers left (they only post).
  std::vector<zone::CommitPtr> commits;
  if (durable && !changes.empty()) commits = publish(changes);

  for (std::size_t i = 0; i < batch.size(); ++i) {
    Rcode rcode = rcodes[i];
    // Without the journal, anything decided on top of this batch's changes is void.
    if (!durable && (after_first_change[i] || rcode == Rcode::NOERROR)) rcode = Rcode::SERVFAIL;
    if (opts.metrics) opts.metrics->add(Counter::kUpdates, static_cast<std::size_t>(rcode) & 0x0F);
    batch[i].reply.send(rcode_answer(batch[i].message, rcode, WithQuestion::kNo, batch[i].ctx,
                                     responder.options(), batch[i].tsig, now));
  }

  if (!durable) return;
  if (opts.metrics && !changes.empty()) {
    opts.metrics->observe(Histogram::kCommit, std::chrono::steady_clock::now() - started);
  }
  announce(commits);
  std::vector<const wire::Name*> touched;
  for (const auto& c : changes) {
    bool seen = false;
    for (const auto* t : touched) seen = seen || *t == c.origin;
    if (!seen) touched.push_back(&c.origin);
  }
  for (const auto* o : touched) after_commit(*o);
}

std::vector<zone::CommitPtr> ZoneManager::Impl::publish(std::vector<Change>& changes) {
  const auto committed_at = Clock::now();
  std::vector<zone::CommitPtr> commits;
  commits.reserve(changes.size());
  auto cat = catalogue ? catalogue : std::make_shared<const zone::Catalogue>();
  for (auto& c : changes) {
    auto commit = std::make_shared<zone::Commit>();
    commit->origin = c.origin;
    commit->version = ++version;
    commit->before = c.before;
    commit->after = c.after;
    commit->changeset = std::move(c.cs);
    commit->committed_at = committed_at;
    cat = cat->with(c.after, version);
    commits.push_back(std::move(commit));
    if (opts.metrics) opts.metrics->add(Counter::kCommits);
  }
  // The catalogue first: a reader that took it has seen every commit up to `version`, and a
  // subscriber registered against it skips exactly those (DESIGN.md).
  catalogue = cat;
  responder.set_catalogue(cat);
  return commits;
}

void ZoneManager::Impl::announce(const std::vector<zone::CommitPtr>& commits) {
  for (const auto& commit : commits) {
    const auto& cs = commit->changeset;
    spdlog::info("zone {}: serial {} -> {} ({} removed, {} added)", commit->origin.to_text(),
                 cs.serial_from().value(), cs.serial_to().value(), cs.removed.size(),
                 cs.added.size());
    for (const auto& l : listeners) {
      try {
        l->on_commit(commit);
      } catch (const std::exception& e) {
        spdlog::error("changeset listener failed: {}", e.what());
      }
    }
  }
}

void ZoneManager::Impl::after_commit(const wire::Name& origin) {
  auto z = current(origin);
  if (!z) return;
  auto need = journal.needs_compaction(origin);
  if (need && *need) start_compaction(std::move(z));
  auto it = zones.find(origin);
  if (it == zones.end() || it->second->config->write_back_interval.count() == 0) return;
  it->second->dirty = true;
  schedule_write_back(*it->second);
}

// The snapshot is encoded off the writer's thread from `z`, an immutable version, while
// UPDATEs go on being committed; install_snapshot() then keeps every changeset after it,
// so the journal stays a complete chain from the snapshot (durable throughout: nothing
// is deleted before the snapshot that replaces it is committed in the same transaction).
// Until it lands the journal may hold more than max-changesets, by the commits of that
// interval.
void ZoneManager::Impl::start_compaction(std::shared_ptr<const zone::Zone> z) {
  if (compacting.exchange(true)) return;  // one at a time; the next commit asks again
  join_compaction();                      // the previous one has finished: reap it
  compactor = std::thread([this, z = std::move(z)] {
    const auto t0 = std::chrono::steady_clock::now();
    const auto snap = zone::Journal::encode_snapshot(*z);
    if (auto r = journal.install_snapshot(snap); !r) {
      spdlog::error("zone {}: journal compaction failed: {}", z->origin().to_text(),
                    r.error().message);
    } else {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      auto u = journal.usage(z->origin());
      spdlog::info(
          "zone {}: journal compacted into a snapshot at serial {} ({} changesets kept, {} ms)",
          z->origin().to_text(), z->serial().value(), u ? u->changesets : 0, ms);
    }
    compacting = false;
  });
}

void ZoneManager::Impl::join_compaction() {
  if (compactor.joinable()) compactor.join();
}

void ZoneManager::Impl::schedule_write_back(ZoneState& z) {
  if (z.write_timer) return;
  const auto now = std::chrono::steady_clock::now();
  const auto at = z.last_write ? std::max(now, *z.last_write + z.config->write_back_interval) : now;
  ZoneState* zp = &z;
  z.write_timer = loop.schedule(at, [this, zp] {
    zp->write_timer.reset();
    write_back(*zp);
  });
}

void ZoneManager::Impl::write_back(ZoneState& z) {
  auto cur = current(z.origin);
  if (!cur) return;
  const fs::path path = write_back_path(z.origin);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  z.last_write = std::chrono::steady_clock::now();
  z.dirty = false;
  if (auto r = zone::write_zone_file(*cur, path.string()); !r) {
    spdlog::error("zone {}: write-back to {} failed: {}", z.origin.to_text(), path.string(),
                  r.error().message);
    return;
  }
  spdlog::info("zone {}: serial {} written to {}", z.origin.to_text(), cur->serial().value(),
               path.string());
}

}  // namespace dnspush::server
