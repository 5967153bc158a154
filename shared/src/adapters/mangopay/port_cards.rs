//! Our card form on MangoPay: a card registration per card tried (on the customer when the card
//! is to be kept, else on a user of its own), completed with the tokenisation server's answer,
//! then a pre-authorisation of the amount, with 3-D Secure when MangoPay asks for it.

use async_trait::async_trait;

use super::client::check_id;
use super::port::{refused, same_request};
use super::transformers as wire;
use super::MangopayConnector;
use crate::domain::three_d_secure::ThreeDSecureRequest;
use crate::ports::{
    CardForm, CardFormRequest, CardFormSubmission, CardForms, Customers, ProviderError,
    ProviderPayment,
};

#[async_trait]
impl CardForms for MangopayConnector {
    async fn open_card_form(&self, request: &CardFormRequest) -> Result<CardForm, ProviderError> {
        let user = match (&request.customer, request.save_card) {
            (Some(customer), true) => check_id(customer)?.to_owned(),
            // A card not to be kept is registered on a user of its own, so it is never listed.
            _ => {
                self.create_customer(
                    &request.customer_email,
                    "",
                    &format!("{}:user", request.idempotency_key),
                )
                .await?
            }
        };
        let tag = wire::OurTag::new(request.order_reference.as_str(), &request.payment_id).render();
        let registration: wire::CardRegistration = self
            .post(
                "open_card_form",
                "/cardregistrations",
                &wire::NewCardRegistration {
                    user_id: user.clone(),
                    currency: wire::CurrencyCode(request.currency),
                    card_type: "CB_VISA_MASTERCARD",
                    tag: tag.clone(),
                },
                &request.idempotency_key,
            )
            .await?;
        same_request(
            registration.user_id == user && registration.tag.as_deref() == Some(tag.as_str()),
        )?;
        registration.form().ok_or_else(|| {
            ProviderError::Unavailable(
                "MangoPay's card registration has no tokenisation URL".into(),
            )
        })
    }

    async fn authorise_card_form(
        &self,
        submission: &CardFormSubmission,
    ) -> Result<ProviderPayment, ProviderError> {
        let form = check_id(&submission.form_id)?;
        let mut registration: wire::CardRegistration = self
            .get("card_form", &format!("/cardregistrations/{form}"))
            .await?;
        if registration.status == "CREATED" {
            registration = self
                .put(
                    "complete_card_form",
                    &format!("/cardregistrations/{form}"),
                    &wire::RegistrationUpdate {
                        registration_data: &submission.token_data,
                    },
                )
                .await?;
        }
        let card = match (registration.status.as_str(), &registration.card_id) {
            ("VALIDATED", Some(card)) => card.clone(),
            _ => {
                return Err(ProviderError::Declined(wire::failure(
                    registration.result_code.as_deref(),
                    registration.result_message.as_deref(),
                )))
            }
        };
        let funds = wire::funds(&submission.amount).map_err(refused)?;
        let tag = wire::OurTag::new(submission.order_reference.as_str(), &submission.payment_id);
        let preauth: wire::Preauthorization = self
            .post(
                "authorise",
                "/preauthorizations/card/direct",
                &wire::NewPreauthorization {
                    author_id: registration.user_id.clone(),
                    debited_funds: funds,
                    card_id: card.clone(),
                    secure_mode_return_url: submission.return_url.clone(),
                    secure_mode: match submission.three_d_secure {
                        ThreeDSecureRequest::Request => "FORCE",
                        ThreeDSecureRequest::Automatic | ThreeDSecureRequest::Skip => "DEFAULT",
                    },
                    ip_address: submission.ip_address.clone(),
                    browser_info: (&submission.browser).into(),
                    tag: tag.render(),
                    culture: "FR",
                },
                &submission.idempotency_key,
            )
            .await?;
        same_request(
            preauth.card_id.as_deref() == Some(card.as_str()) && preauth.debited_funds == funds,
        )?;
        self.payment(&preauth).await
    }
}
