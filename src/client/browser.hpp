// A live DNS-SD browser (RFC 6763) on a Client: the PTR records of <service>.<domain>
// name the instances (§4.1); each instance's SRV gives its host and port and its TXT its
// attributes (§6); each host's A/AAAA its addresses. Every one of these is a
// subscription, so the whole picture stays live: instances appear when their PTR and SRV
// are known, change when any part changes, and disappear with their PTR. Subscriptions to
// a host are shared between its instances. Changes are reported after `settle` without
// further change (the SRV, TXT and addresses of a new instance arrive within
// milliseconds of each other: one event, not four). Runs on the Client's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "client/srv.hpp"

namespace dnspush::client {

struct ServiceInstance {
  wire::Name name;    // Office\032Printer._ipp._tcp.example.test.
  std::string label;  // "Office Printer": the instance label as UTF-8 text
  std::optional<SrvRecord> srv;
  std::vector<std::string> txt;        // the TXT strings, in order (§6.3)
  std::vector<std::string> addresses;  // of the SRV target
};

struct BrowseEvent {
  enum class Kind : std::uint8_t { kAdd, kUpdate, kRemove };
  Kind kind = Kind::kAdd;
  ServiceInstance instance;
};

class Browser {
 public:
  using Callback = std::function<void(const BrowseEvent&)>;
  // `service` like "_ipp._tcp", `domain` like "example.test".
  Browser(Client& client, const wire::Name& service_domain, Callback on_event,
          StatusCallback on_status = {}, Duration settle = std::chrono::milliseconds(150));
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  std::vector<ServiceInstance> instances() const;

 private:
  struct Instance {
    ServiceInstance info;
    SubscriptionId srv_sub = 0;
    SubscriptionId txt_sub = 0;
    std::optional<wire::Name> host;  // the SRV target whose addresses are followed
    bool announced = false;
    std::string shown;  // what was last reported
  };
  struct Host {
    SubscriptionId a = 0, aaaa = 0;
    std::size_t users = 0;
  };
  void on_ptr(const RecordEvent& e);
  void on_srv(const wire::Name& instance);
  void on_txt(const wire::Name& instance);
  void on_address(const wire::Name& host);
  void follow_host(Instance& in, std::optional<wire::Name> host);
  void refresh(Instance& in);
  void drop(const wire::Name& instance);
  void flush();

  Client& client_;
  Callback on_event_;
  StatusCallback on_status_;
  SubscriptionId ptr_sub_ = 0;
  std::map<wire::Name, Instance, wire::NameCanonicalLess> instances_;
  std::map<wire::Name, Host, wire::NameCanonicalLess> hosts_;
  Duration settle_;
  asio::steady_timer timer_;
  std::vector<wire::Name> dirty_;
  std::vector<ServiceInstance> removed_;
};

}  // namespace dnspush::client
