//! Identifier newtypes, so that a client id can never be passed where a provider id is expected.
//!
//! Ids are chosen by the caller and arrive in commands; the domain never generates a random one.
//! The exceptions are [`AccountId::of`] and the [`ExpenseId`] constructors, which are derived
//! deterministically from what they name.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Currency;

/// Defines a `Uuid` newtype with the conversions and traits every id shares.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID chosen by the caller.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            /// Formats the id as a hyphenated lowercase UUID.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, uuid::Error> {
                Uuid::parse_str(text).map(Self)
            }
        }
    };
}

uuid_id!(
    /// Identifies a hosting provider, the tenant that bills its clients.
    ProviderId
);
uuid_id!(
    /// Identifies a client of a provider.
    ClientId
);
uuid_id!(
    /// Identifies a client's personal account at a provider in one currency; see
    /// [`AccountId::of`].
    AccountId
);
uuid_id!(
    /// Identifies a payment; chosen by the caller so that a retried payment can be recognised.
    PaymentId
);
uuid_id!(
    /// Identifies a balance adjustment; chosen by the caller so that a retry can be recognised.
    AdjustmentId
);

uuid_id!(
    /// Identifies a tariff: a provider's price list for one kind of service.
    TariffId
);
uuid_id!(
    /// Identifies a service a client ordered (a domain, a VDS, a hosting plan).
    ServiceId
);
uuid_id!(
    /// Identifies one charge or credit of an account for a service; see
    /// [`ExpenseId::for_period`] and [`ExpenseId::for_change`].
    ExpenseId
);
uuid_id!(
    /// Identifies one request to the provisioning system (activate, suspend, resume, delete);
    /// chosen by the caller so that a retried request can be recognised.
    OperationId
);

uuid_id!(
    /// Identifies a company: one of a provider's legal entities, which receives payments and
    /// issues invoices.
    CompanyId
);
uuid_id!(
    /// Identifies an invoice or a credit note; chosen by the caller, or derived for documents a
    /// process issues (see [`InvoiceId::monthly`]).
    InvoiceId
);
uuid_id!(
    /// Identifies the numbering book of a company's documents of one series and year; see
    /// [`InvoiceBookId::of`].
    InvoiceBookId
);
uuid_id!(
    /// Identifies a promo code of a provider; see [`PromoCodeId::of`].
    PromoCodeId
);
uuid_id!(
    /// Identifies a refund of a payment; chosen by the caller so that a retry can be recognised.
    RefundId
);
uuid_id!(
    /// Identifies a staff correction (void or adjustment) of an expense; chosen by the caller so
    /// that a retry can be recognised.
    CorrectionId
);

uuid_id!(
    /// Identifies a payer: a person or legal entity of a client's to whom payments and documents
    /// are made out; chosen by the caller.
    PayerId
);
uuid_id!(
    /// Identifies a domain contact: a person or organisation of a client's that a domain is
    /// registered to or administered by; chosen by the caller.
    ContactId
);
uuid_id!(
    /// Identifies a group of clients, such as "resellers"; chosen by the caller.
    ClientGroupId
);
uuid_id!(
    /// Identifies a merge of client accounts; chosen by the caller so that a repeated merge
    /// request is recognised.
    MergeId
);

uuid_id!(
    /// Identifies a support ticket; chosen by the server (or derived, for a message to many
    /// clients: see [`TicketId::for_message`]).
    TicketId
);
uuid_id!(
    /// Identifies one message of a ticket.
    TicketMessageId
);
uuid_id!(
    /// Identifies a ticket category (billing, technical, abuse ...); chosen by the caller.
    TicketCategoryId
);
uuid_id!(
    /// Identifies an answer template support staff paste into replies; chosen by the caller.
    AnswerTemplateId
);
uuid_id!(
    /// Identifies an announcement shown to clients; chosen by the caller.
    AnnouncementId
);
uuid_id!(
    /// Identifies a message template of one notice kind and language; see
    /// [`MessageTemplateId::of`].
    MessageTemplateId
);
uuid_id!(
    /// Identifies a message staff sent to one client or to many, each copy a ticket.
    ClientMessageId
);

/// The UUID v5 namespace of derived support ids. It must never change: stored ids were derived
/// from it.
const SUPPORT_NAMESPACE: Uuid = Uuid::from_u128(0x7d2e_5a91_c3b4_4f60_8e17_a9c0_2b5d_e614);

impl TicketId {
    /// The ticket that carries `message` to `client`: sending the same message again (a retry)
    /// meets the same ticket instead of opening a second one.
    pub fn for_message(message: ClientMessageId, client: ClientId) -> TicketId {
        let name = format!("message/{message}/{client}");
        TicketId(Uuid::new_v5(&SUPPORT_NAMESPACE, name.as_bytes()))
    }
}

impl MessageTemplateId {
    /// The template of notice kind `kind` (its snake_case name) in `language` (ISO 639-1): one
    /// stream per pair, found without a lookup.
    pub fn of(kind: &str, language: &str) -> MessageTemplateId {
        let name = format!("template/{kind}/{language}");
        MessageTemplateId(Uuid::new_v5(&SUPPORT_NAMESPACE, name.as_bytes()))
    }
}

/// The UUID v5 namespace of personal account ids. It must never change: every stored account id
/// was derived from it.
const ACCOUNT_NAMESPACE: Uuid = Uuid::from_u128(0x5b1c_0d7e_4f3a_4c8e_9a62_7e0f_b3d4_a915);

impl AccountId {
    /// The id of `client`'s personal account at `provider` in `currency`.
    ///
    /// It is a UUID v5 over `"{client}/{provider}/{currency code}"`, so every layer (API, event
    /// store, projections) can find a client's account without a lookup, and there is exactly one
    /// personal account per (client, provider, currency).
    pub fn of(client: ClientId, provider: ProviderId, currency: Currency) -> AccountId {
        let name = format!("{client}/{provider}/{}", currency.code());
        AccountId(Uuid::new_v5(&ACCOUNT_NAMESPACE, name.as_bytes()))
    }
}

/// The UUID v5 namespace of expense ids. It must never change: every stored expense id was
/// derived from it, and re-deriving an id is how a repeated charge is recognised.
const EXPENSE_NAMESPACE: Uuid = Uuid::from_u128(0x9e3d_27c4_61b0_4f5a_8c1e_d4a7_0b62_f381);

impl ExpenseId {
    /// The id of the charge of `service` for the period that starts on `period_start`.
    ///
    /// It is a UUID v5 over `"{service}/{YYYY-MM-DD}"`, so charging the same period twice (a
    /// retried billing run, two workers racing) names the same expense, and the event store's
    /// command keys turn the second charge into a no-op.
    pub fn for_period(service: ServiceId, period_start: NaiveDate) -> ExpenseId {
        let name = format!("{service}/{}", period_start.format("%Y-%m-%d"));
        ExpenseId(Uuid::new_v5(&EXPENSE_NAMESPACE, name.as_bytes()))
    }

    /// The id of the charge that resumes `service`, suspended for non-payment since `since`.
    ///
    /// A UUID v5 over `"{service}/resume/{YYYY-MM-DD}"` in the same namespace as
    /// [`ExpenseId::for_period`]. The period it pays for starts on the day it is paid, so the
    /// id names the suspension instead: a charge cut off by a crash before the service recorded
    /// it is recognised when it is run again on a later day.
    pub fn for_resumption(service: ServiceId, since: NaiveDate) -> ExpenseId {
        let name = format!("{service}/resume/{}", since.format("%Y-%m-%d"));
        ExpenseId(Uuid::new_v5(&EXPENSE_NAMESPACE, name.as_bytes()))
    }

    /// The id of one line of the `number`th tariff change of `service`: `part` is `"credit"` for
    /// the unused part of the old price and `"charge"` for the new price.
    ///
    /// It is a UUID v5 over `"{service}/change-{number}/{part}"` in the same namespace as
    /// [`ExpenseId::for_period`]; the `change` segment keeps the two kinds of names apart. The
    /// change is named by its number, not its day: a change whose money moved but which its
    /// service did not record (a crash), asked again on a later day, finds that money. (Changes
    /// recorded before this were named `"{service}/change/{YYYY-MM-DD}/{part}-{number}"`.)
    pub fn for_change(service: ServiceId, number: u32, part: &str) -> ExpenseId {
        let name = format!("{service}/change-{number}/{part}");
        ExpenseId(Uuid::new_v5(&EXPENSE_NAMESPACE, name.as_bytes()))
    }
}

/// The UUID v5 namespace of derived document ids (numbering books, monthly invoices) and promo
/// code ids. It must never change: stored ids were derived from it.
const DOCUMENT_NAMESPACE: Uuid = Uuid::from_u128(0x2f6a_91d3_0c5e_47b8_a3f4_6d1e_8b90_c257);

impl InvoiceBookId {
    /// The book that numbers `company`'s documents of `series` (`"invoice"`, `"credit_note"`) in
    /// `year`, or in one sequence that never restarts when `year` is `None`.
    ///
    /// A UUID v5 over `"book/{company}/{series}/{year or '*'}"`: every node finds the same book
    /// without a lookup, so two nodes can never number from two books.
    pub fn of(company: CompanyId, series: &str, year: Option<i32>) -> InvoiceBookId {
        let year = year.map_or_else(|| "*".to_string(), |year| year.to_string());
        let name = format!("book/{company}/{series}/{year}");
        InvoiceBookId(Uuid::new_v5(&DOCUMENT_NAMESPACE, name.as_bytes()))
    }
}

impl InvoiceId {
    /// The id of the monthly invoice of `account` for the month that starts on `month_start`, so
    /// that a repeated monthly run issues nothing twice.
    pub fn monthly(account: AccountId, month_start: NaiveDate) -> InvoiceId {
        let name = format!("monthly/{account}/{}", month_start.format("%Y-%m-%d"));
        InvoiceId(Uuid::new_v5(&DOCUMENT_NAMESPACE, name.as_bytes()))
    }
}

impl InvoiceId {
    /// The id of the proforma invoice of `payment`: one per payment, found without a lookup.
    pub fn proforma(payment: PaymentId) -> InvoiceId {
        let name = format!("proforma/{payment}");
        InvoiceId(Uuid::new_v5(&DOCUMENT_NAMESPACE, name.as_bytes()))
    }
}

impl InvoiceId {
    /// The id of the prepayment invoice of `payment`: one tax document per payment credited, so
    /// that a replay or a restart issues nothing twice.
    pub fn prepayment(payment: PaymentId) -> InvoiceId {
        let name = format!("prepayment/{payment}");
        InvoiceId(Uuid::new_v5(&DOCUMENT_NAMESPACE, name.as_bytes()))
    }
}

impl PromoCodeId {
    /// The id of `provider`'s promo code `code` (already validated, so one spelling per code).
    pub fn of(provider: ProviderId, code: &str) -> PromoCodeId {
        let name = format!("promo/{provider}/{code}");
        PromoCodeId(Uuid::new_v5(&DOCUMENT_NAMESPACE, name.as_bytes()))
    }
}

uuid_id!(
    /// Identifies a domain a client ordered through a registrar; chosen by the caller (or the
    /// server), so that a retried order names the same domain.
    DomainId
);

uuid_id!(
    /// Identifies the prices of one top-level domain at one provider in one currency; derived
    /// with [`TldId::of`](crate::tld::Tld) from what it names.
    TldId
);

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientId {
        ClientId::from_uuid(Uuid::from_u128(1))
    }

    fn provider() -> ProviderId {
        ProviderId::from_uuid(Uuid::from_u128(2))
    }

    #[test]
    fn an_id_displays_as_a_hyphenated_lowercase_uuid() {
        let id = ClientId::from_uuid(Uuid::from_u128(0xABCD));
        assert_eq!(id.to_string(), "00000000-0000-0000-0000-00000000abcd");
    }

    #[test]
    fn an_id_parses_from_its_display_form() {
        let id = PaymentId::from_uuid(Uuid::from_u128(0xFEED));
        assert_eq!(id.to_string().parse::<PaymentId>().unwrap(), id);
        assert!("not-a-uuid".parse::<PaymentId>().is_err());
    }

    #[test]
    fn an_id_serializes_as_a_bare_uuid_string() {
        let id = AdjustmentId::from_uuid(Uuid::from_u128(7));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""00000000-0000-0000-0000-000000000007""#);
        assert_eq!(serde_json::from_str::<AdjustmentId>(&json).unwrap(), id);
    }

    #[test]
    fn an_account_id_is_deterministic() {
        let first = AccountId::of(client(), provider(), Currency::EUR);
        let second = AccountId::of(client(), provider(), Currency::EUR);
        assert_eq!(first, second);
        assert_eq!(first.as_uuid().get_version_num(), 5);
    }

    #[test]
    fn an_account_id_is_pinned_to_its_namespace_and_name() {
        // Changing the namespace or the name format would orphan every stored account.
        let name = "00000000-0000-0000-0000-000000000001/00000000-0000-0000-0000-000000000002/EUR";
        let expected = Uuid::new_v5(&ACCOUNT_NAMESPACE, name.as_bytes());
        assert_eq!(
            AccountId::of(client(), provider(), Currency::EUR).as_uuid(),
            expected
        );
        assert_eq!(
            ACCOUNT_NAMESPACE.to_string(),
            "5b1c0d7e-4f3a-4c8e-9a62-7e0fb3d4a915"
        );
    }

    #[test]
    fn each_currency_has_its_own_account() {
        assert_ne!(
            AccountId::of(client(), provider(), Currency::EUR),
            AccountId::of(client(), provider(), Currency::USD)
        );
    }

    #[test]
    fn each_client_and_provider_pair_has_its_own_account() {
        let other_client = ClientId::from_uuid(Uuid::from_u128(3));
        let other_provider = ProviderId::from_uuid(Uuid::from_u128(3));
        let account = AccountId::of(client(), provider(), Currency::EUR);
        assert_ne!(
            account,
            AccountId::of(other_client, provider(), Currency::EUR)
        );
        assert_ne!(
            account,
            AccountId::of(client(), other_provider, Currency::EUR)
        );
    }

    fn service() -> ServiceId {
        ServiceId::from_uuid(Uuid::from_u128(0x50))
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_same_service_period_always_names_the_same_expense() {
        let first = ExpenseId::for_period(service(), date("2025-01-31"));
        assert_eq!(first, ExpenseId::for_period(service(), date("2025-01-31")));
        assert_ne!(first, ExpenseId::for_period(service(), date("2025-02-28")));
        assert_eq!(first.as_uuid().get_version_num(), 5);
    }

    #[test]
    fn an_expense_id_is_pinned_to_its_namespace_and_name() {
        let name = "00000000-0000-0000-0000-000000000050/2025-01-31";
        assert_eq!(
            ExpenseId::for_period(service(), date("2025-01-31")).as_uuid(),
            Uuid::new_v5(&EXPENSE_NAMESPACE, name.as_bytes())
        );
        let change = "00000000-0000-0000-0000-000000000050/change-1/credit";
        assert_eq!(
            ExpenseId::for_change(service(), 1, "credit").as_uuid(),
            Uuid::new_v5(&EXPENSE_NAMESPACE, change.as_bytes())
        );
        let resumption = "00000000-0000-0000-0000-000000000050/resume/2025-01-05";
        assert_eq!(
            ExpenseId::for_resumption(service(), date("2025-01-05")).as_uuid(),
            Uuid::new_v5(&EXPENSE_NAMESPACE, resumption.as_bytes())
        );
        assert_eq!(
            EXPENSE_NAMESPACE.to_string(),
            "9e3d27c4-61b0-4f5a-8c1e-d4a70b62f381"
        );
    }

    #[test]
    fn derived_document_ids_are_pinned_and_distinct() {
        let company = CompanyId::from_uuid(Uuid::from_u128(0xC0));
        let book = InvoiceBookId::of(company, "invoice", Some(2026));
        let name = "book/00000000-0000-0000-0000-0000000000c0/invoice/2026";
        assert_eq!(
            book.as_uuid(),
            Uuid::new_v5(&DOCUMENT_NAMESPACE, name.as_bytes())
        );
        assert_ne!(book, InvoiceBookId::of(company, "invoice", Some(2027)));
        assert_ne!(book, InvoiceBookId::of(company, "credit_note", Some(2026)));
        assert_ne!(book, InvoiceBookId::of(company, "invoice", None));
        assert_eq!(
            PromoCodeId::of(provider(), "SPRING"),
            PromoCodeId::of(provider(), "SPRING")
        );
        assert_ne!(
            PromoCodeId::of(provider(), "SPRING"),
            PromoCodeId::of(provider(), "SUMMER")
        );
    }

    #[test]
    fn the_lines_of_a_tariff_change_have_distinct_ids() {
        let credit = ExpenseId::for_change(service(), 1, "credit");
        let charge = ExpenseId::for_change(service(), 1, "charge");
        assert_ne!(credit, charge);
        assert_ne!(credit, ExpenseId::for_change(service(), 2, "credit"));
        assert_eq!(credit, ExpenseId::for_change(service(), 1, "credit"));
    }
}

uuid_id!(
    /// Identifies a department of the provider's staff; the default departments have ids derived
    /// from their names (see [`DepartmentId::named`]).
    DepartmentId
);
uuid_id!(
    /// Identifies a staff member; derived from the login e-mail (see [`StaffId::for_login`]).
    StaffId
);
uuid_id!(
    /// Identifies a user of a client's account; derived from the login e-mail (see
    /// [`UserId::for_login`]).
    UserId
);
uuid_id!(
    /// Identifies a bearer token (a login, a service token, an act-as token); chosen by the
    /// caller when it issues the token.
    TokenId
);

/// The UUID v5 namespace of the ids derived for access (departments, staff, users). It must
/// never change: stored ids were derived with it.
const ACCESS_NAMESPACE: Uuid = Uuid::from_u128(0x3f6a_8d21_7c4e_4b09_a5d2_19e8_c0f4_7b63);

impl DepartmentId {
    /// The id of the department called `name`, for departments created by default: creating one
    /// twice (two nodes starting at once) meets the same stream.
    pub fn named(name: &str) -> DepartmentId {
        DepartmentId(Uuid::new_v5(
            &ACCESS_NAMESPACE,
            format!("department/{}", name.to_lowercase()).as_bytes(),
        ))
    }
}

impl StaffId {
    /// The id of the staff member who logs in with `login`. One stream per e-mail address
    /// makes the address unique without a read model, and lets a login find its staff member
    /// in the store at once.
    pub fn for_login(login: &crate::access::Login) -> StaffId {
        StaffId(Uuid::new_v5(
            &ACCESS_NAMESPACE,
            format!("staff/{}", login.as_str()).as_bytes(),
        ))
    }
}

impl UserId {
    /// The id of the client user who logs in with `login` (see [`StaffId::for_login`]).
    pub fn for_login(login: &crate::access::Login) -> UserId {
        UserId(Uuid::new_v5(
            &ACCESS_NAMESPACE,
            format!("user/{}", login.as_str()).as_bytes(),
        ))
    }
}

uuid_id!(
    /// Identifies a provider's affiliate program; chosen by the caller.
    AffiliateProgramId
);
uuid_id!(
    /// Identifies a client's membership of an affiliate program; derived from both (see
    /// [`AffiliateId::of`]).
    AffiliateId
);
uuid_id!(
    /// Identifies a payout of affiliate commission; chosen by the caller so that a retry pays
    /// nothing twice.
    PayoutId
);

/// The UUID v5 namespace of affiliate ids. It must never change: stored ids were derived from it.
const AFFILIATE_NAMESPACE: Uuid = Uuid::from_u128(0x7d2e_44a1_9b3c_4f60_8e15_c2a9_6f0b_d418);

impl AffiliateId {
    /// The id of `client`'s membership of `program`: a client joins a program once, and every
    /// layer finds the membership without a lookup.
    pub fn of(program: AffiliateProgramId, client: ClientId) -> AffiliateId {
        let name = format!("affiliate/{program}/{client}");
        AffiliateId(Uuid::new_v5(&AFFILIATE_NAMESPACE, name.as_bytes()))
    }
}

uuid_id!(
    /// Identifies the agreement (offer) of one tariff or one item type of a provider; derived
    /// from what it covers (see [`AgreementId::of_tariff`] and [`AgreementId::of_item_type`]).
    AgreementId
);

/// The UUID v5 namespace of agreement ids. It must never change: stored ids were derived from it.
const AGREEMENT_NAMESPACE: Uuid = Uuid::from_u128(0x4c19_7e2a_b8d3_4a51_9f06_e3b2_7a1d_c845);

impl AgreementId {
    /// The agreement of a tariff: one per tariff, found by every layer without a lookup.
    pub fn of_tariff(tariff: TariffId) -> AgreementId {
        let name = format!("agreement/tariff/{tariff}");
        AgreementId(Uuid::new_v5(&AGREEMENT_NAMESPACE, name.as_bytes()))
    }

    /// The agreement of `provider`'s services of the item type `code`.
    pub fn of_item_type(provider: ProviderId, code: &str) -> AgreementId {
        let name = format!("agreement/item_type/{provider}/{code}");
        AgreementId(Uuid::new_v5(&AGREEMENT_NAMESPACE, name.as_bytes()))
    }
}

uuid_id!(
    /// Identifies a provisioning or payment module registered with the billing core (issue 20.5).
    ModuleId
);

uuid_id!(
    /// Identifies a contract between a provider's company and a client (issue 20.2); chosen by
    /// the caller, so that a retried creation names the same contract and its number.
    ContractId
);
uuid_id!(
    /// Identifies a contract template of a company: the versioned text contracts are made from.
    ContractTemplateId
);
uuid_id!(
    /// Identifies the numbering book of a company's contracts of one year; see
    /// [`ContractBookId::of`].
    ContractBookId
);

/// The UUID v5 namespace of contract book ids. It must never change: stored ids were derived
/// from it.
const CONTRACT_NAMESPACE: Uuid = Uuid::from_u128(0x2b6f_90d4_5e1a_4c87_a3f2_1d8e_c06b_9a57);

impl ContractBookId {
    /// The book that numbers `company`'s contracts dated in `year`: a UUID v5 over
    /// `"contract-book/{company}/{year}"`, so every node finds the same book without a lookup and
    /// two nodes can never number from two books.
    pub fn of(company: CompanyId, year: i32) -> ContractBookId {
        let name = format!("contract-book/{company}/{year}");
        ContractBookId(Uuid::new_v5(&CONTRACT_NAMESPACE, name.as_bytes()))
    }
}
