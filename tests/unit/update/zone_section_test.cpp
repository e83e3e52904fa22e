// RFC 2136 §3.1: the zone section, zone selection from a catalogue, and the response.
#include "update_fixture.hpp"
#include "zone/catalogue.hpp"

namespace dnspush::update::test {
namespace {

TEST(UpdateZoneSection, ZoCountMustBeOne) {
  auto z = make_zone();
  UpdateMsg none_;
  none_.message().questions.clear();
  EXPECT_EQ(process(none_, *z).rcode, Rcode::FORMERR);

  UpdateMsg two;
  two.message().questions.push_back(two.message().questions.front());
  const Outcome o = process(two, *z);
  EXPECT_EQ(o.rcode, Rcode::FORMERR);
  EXPECT_FALSE(o.changeset);
  EXPECT_NE(o.reason.find("ZOCOUNT"), std::string::npos) << o.reason;
}

TEST(UpdateZoneSection, ZtypeMustBeSoa) {
  auto z = make_zone();
  UpdateMsg u;
  u.message().questions.front().type = RRType::A;
  u.update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")));
  const Outcome o = process(u, *z);
  EXPECT_EQ(o.rcode, Rcode::FORMERR);
  EXPECT_FALSE(o.changeset);
}

TEST(UpdateZoneSection, OtherClassIsNotAuth) {
  auto z = make_zone();
  UpdateMsg u;
  u.message().questions.front().cls = RRClass::CH;
  EXPECT_EQ(process(u, *z).rcode, Rcode::NOTAUTH);
}

TEST(UpdateZoneSection, ZoneOtherThanTheGivenOneIsNotAuth) {
  auto z = make_zone();
  UpdateMsg u("other.");
  u.update(in("x.other.", RRType::A, 300, rd_a("192.0.2.99")));
  EXPECT_EQ(process(u, *z).rcode, Rcode::NOTAUTH);
  // A name inside the zone is not the zone (RFC 2136 §3.1.1: ZNAME is the zone name).
  UpdateMsg inside("www.example.");
  EXPECT_EQ(process(inside, *z).rcode, Rcode::NOTAUTH);
}

TEST(UpdateZoneSection, ZnameIsCaseInsensitive) {
  auto z = make_zone();
  UpdateMsg u("EXAMPLE.");
  u.update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")));
  const Outcome o = process(u, *z);
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  EXPECT_TRUE(o.changeset);
}

TEST(UpdateZoneSection, ResponseOrNotUpdateOpcodeRefused) {
  auto z = make_zone();
  UpdateMsg response;
  response.message().header.qr = true;
  EXPECT_EQ(process(response, *z).rcode, Rcode::FORMERR);
  UpdateMsg query;
  query.message().header.opcode = wire::Opcode::QUERY;
  EXPECT_EQ(process(query, *z).rcode, Rcode::NOTIMP);
}

TEST(UpdateZoneSection, SelectZoneFromCatalogue) {
  auto z = make_zone();
  const auto cat = zone::Catalogue().with(z);

  UpdateMsg ok;
  const ZoneSelection s = select_zone(ok, *cat);
  EXPECT_EQ(s.rcode, Rcode::NOERROR) << s.reason;
  EXPECT_EQ(s.zone, z);

  // RFC 2136 §3.1.1: not one of our zones: NOTAUTH, also for a name inside one of ours.
  EXPECT_EQ(select_zone(UpdateMsg("other."), *cat).rcode, Rcode::NOTAUTH);
  EXPECT_EQ(select_zone(UpdateMsg("www.example."), *cat).rcode, Rcode::NOTAUTH);
  EXPECT_EQ(select_zone(UpdateMsg("com."), *cat).rcode, Rcode::NOTAUTH);
  EXPECT_EQ(select_zone(UpdateMsg("other."), *cat).zone, nullptr);

  UpdateMsg two;
  two.message().questions.push_back(two.message().questions.front());
  EXPECT_EQ(select_zone(two, *cat).rcode, Rcode::FORMERR);
  UpdateMsg not_soa;
  not_soa.message().questions.front().type = RRType::NS;
  EXPECT_EQ(select_zone(not_soa, *cat).rcode, Rcode::FORMERR);
  UpdateMsg chaos;
  chaos.message().questions.front().cls = RRClass::CH;
  EXPECT_EQ(select_zone(chaos, *cat).rcode, Rcode::NOTAUTH);
}

TEST(UpdateZoneSection, ResponseCopiesIdAndOpcodeWithZeroCounts) {
  UpdateMsg u;
  u.prereq(any("www.example.", RRType::A)).update(any("www.example.", RRType::AAAA));
  const wire::Message r = make_response(u, Rcode::NXRRSET);
  EXPECT_EQ(r.header.id, 0x1234);
  EXPECT_EQ(r.header.opcode, wire::Opcode::UPDATE);
  EXPECT_TRUE(r.header.qr);
  EXPECT_EQ(r.rcode(), Rcode::NXRRSET);
  EXPECT_TRUE(r.questions.empty());
  EXPECT_TRUE(r.answers.empty());
  EXPECT_TRUE(r.authorities.empty());
  // It encodes and parses back.
  auto parsed = wire::Message::parse(r.to_wire());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->rcode(), Rcode::NXRRSET);
  EXPECT_EQ(parsed->header.qdcount, 0);
}

// The whole path from bytes: RDLENGTH 0 prerequisites and deletions parse (RFC 2136
// §2.4/§2.5) and process as they should.
TEST(UpdateZoneSection, FromWireBytes) {
  auto z = make_zone();
  UpdateMsg u;
  u.prereq(any("www.example.", RRType::A))
      .prereq(none("new.example.", RRType::ANY))
      .update(any("www.example.", RRType::AAAA))
      .update(none("www.example.", RRType::A, rd_a("192.0.2.11")))
      .update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")));
  auto parsed = wire::Message::parse(u.message().to_wire());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const Outcome o = process(*parsed, *z);
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->removed.size(), 2u);
  EXPECT_EQ(o.changeset->added.size(), 1u);
}

}  // namespace
}  // namespace dnspush::update::test
