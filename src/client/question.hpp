// What a client asks about: a (name, type, class), as in a DNS question and a DNS Push
// SUBSCRIBE (RFC 8765 §6.2.1). Type ANY and class ANY match every type and class.
#pragma once

#include <string>

#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"

namespace dnspush::client {

struct Question {
  wire::Name name;
  wire::RRType type = wire::RRType::A;
  wire::RRClass cls = wire::RRClass::IN;

  // Whether `r` is an answer to this question (same owner, type and class, or ANY).
  bool matches(const wire::Record& r) const {
    return r.owner == name && (type == wire::RRType::ANY || r.type == type) &&
           (cls == wire::RRClass::ANY || r.cls == cls);
  }
  // "name TYPE CLASS", for messages.
  std::string to_text() const {
    return name.to_text() + " " + wire::to_text(type) + " " + wire::to_text(cls);
  }
  friend bool operator==(const Question&, const Question&) = default;
};

}  // namespace dnspush::client
